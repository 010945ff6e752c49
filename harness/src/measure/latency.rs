//! Per-task latency percentiles from an HDR histogram.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Percentiles of task latency, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest task.
    pub max_us: f64,
}

/// Percentiles of `latencies_ns` (3 significant digits, 1 ns to 1 hour).
pub fn percentiles(latencies_ns: impl IntoIterator<Item = u64>) -> Latency {
    let Ok(mut h) = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3) else {
        return Latency::default();
    };
    for ns in latencies_ns {
        h.saturating_record(ns.max(1));
    }
    if h.is_empty() {
        return Latency::default();
    }
    let us = |v: u64| v as f64 / 1000.0;
    Latency {
        p50_us: us(h.value_at_quantile(0.50)),
        p90_us: us(h.value_at_quantile(0.90)),
        p99_us: us(h.value_at_quantile(0.99)),
        max_us: us(h.max()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_ramp() {
        let l = percentiles((1..=1000u64).map(|i| i * 1000));
        assert!((l.p50_us - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99_us - 990.0).abs() < 2.0, "{l:?}");
        assert!((l.max_us - 1000.0).abs() < 1.0, "{l:?}");
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(percentiles(Vec::new()), Latency::default());
    }
}
