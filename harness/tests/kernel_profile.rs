//! `--kernel-profile`: perf sampling around each repetition, for real when
//! perf is installed and permitted, and the one-line "unavailable" path.

mod util;

use util::{stderr, text, Lab};

#[test]
fn a_profiled_run_records_kernel_functions_or_nothing_but_never_breaks() {
    if let Err(why) = iolab::measure::profile::probe() {
        println!("skipped: kernel profile unavailable here: {why}");
        return;
    }
    let lab = Lab::new();
    let out = lab.run(&["--workload", "copy", "--kernel-profile"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    assert!(!run.rows.is_empty());
    for row in &run.rows {
        assert!(
            !row.detail.contains("kernel profile: unavailable"),
            "{}",
            row.detail
        );
        // `function:percent;…`, shares of the kernel samples, largest first.
        let shares: Vec<f64> = row
            .kernel_profile
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (func, pct) = s.rsplit_once(':').expect("function:percent");
                assert!(!func.is_empty(), "{s}");
                pct.parse().expect("a percentage")
            })
            .collect();
        assert!(shares.len() <= iolab::measure::profile::TOP, "{shares:?}");
        assert!(shares.iter().sum::<f64>() <= 100.5, "{shares:?}");
        assert!(shares.windows(2).all(|w| w[0] >= w[1]), "{shares:?}");
    }
}

#[test]
fn without_perf_the_profile_is_one_unavailable_line_and_the_run_goes_on() {
    let lab = Lab::new();
    let mut cmd = lab.iolab();
    cmd.env("PATH", lab.path().join("no-programs-here"));
    let out = cmd
        .args(util::TINY_RUN)
        .args(["--workload", "noop", "--kernel-profile", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("kernel profile: unavailable: perf not installed")
            .count(),
        1,
        "{err}"
    );
    let run = lab.only_run();
    assert!(run.rows.iter().all(|r| r.kernel_profile.is_empty()));
}
