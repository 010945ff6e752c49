//! `iolab tune` through the real binary on temp folders, and the profile
//! format and comparison on constructed profiles. Timings never decide pass
//! or fail: the end-to-end test checks files, keys and structure only.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use iolab::results::Machine;
use iolab::stats::knee::CurveShape;
use iolab::tune::files;
use iolab::tune::files::record::TuningRecord;
use iolab::tune::profile::compare::{self, Verdict};
use iolab::tune::profile::{self, Choice, Drift, Profile, Settings, Throughput, WorkloadProfile};
use iolab::tune::render;
use iolab::tune::sweep::Skip;
use util::{text, Lab};

/// `iolab tune` on a 50-file corpus in `lab`, one workload, threads only,
/// profiles in `<lab>/profiles`, the sweep in `<lab>/results/<run_id>`.
fn tune(lab: &Lab, run_id: &str, extra: &[&str]) -> Output {
    let mut c = lab.iolab();
    c.args([
        "tune",
        "--files",
        "50",
        "--lines",
        "10",
        "--settle",
        "0",
        "--budget",
        "60s",
        "--workload",
        "read",
        "--strategy",
        "threads",
        "--reps",
        "3",
        "--warmup",
        "0",
        "--no-progress",
        "--run-id",
        run_id,
    ]);
    c.arg("--data-dir").arg(lab.data());
    c.arg("--out").arg(lab.results());
    c.arg("--profiles").arg(lab.path().join("profiles"));
    c.args(extra);
    c.output().expect("run iolab tune")
}

fn profiles(lab: &Lab, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(lab.path().join("profiles"))
        .expect("profiles folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn tune_writes_a_profile_a_sweep_folder_and_compares_a_second_run() {
    let lab = Lab::new();
    let first = tune(&lab, "t1", &[]);
    assert!(first.status.success(), "{}", text(&first));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("recommended"), "{stdout}");
    assert!(stdout.contains("read"), "{stdout}");

    let (tomls, jsons) = (profiles(&lab, "toml"), profiles(&lab, "json"));
    assert_eq!((tomls.len(), jsons.len()), (1, 1), "{tomls:?} {jsons:?}");
    let name = tomls[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.ends_with(".toml") && name.len() > "-YYYY-MM-DD.toml".len(),
        "{name}"
    );
    let from_toml = files::load(&tomls[0]).unwrap();
    let from_json = files::load(&jsons[0]).unwrap();
    assert_eq!(from_toml, from_json);
    assert_eq!(from_toml.format, profile::PROFILE_FORMAT);
    assert_eq!(from_toml.settings.files, 50);
    assert_eq!(from_toml.settings.reps, 3);
    assert!(from_toml.machine.logical_cpus >= 1);
    let read = from_toml
        .workload(iolab::workload::WorkloadKind::Read.into())
        .expect("read entry");
    assert_eq!(read.status, "ok");
    let rec = read.recommended.as_ref().expect("a recommendation");
    assert!(
        rec.strategy == iolab::strategy::StrategyKind::Threads
            || rec.strategy == iolab::strategy::StrategyKind::Sequential,
        "{rec:?}"
    );
    assert!(rec.mb_per_s_low <= rec.mb_per_s && rec.mb_per_s <= rec.mb_per_s_high);
    assert_eq!(read.strategies.len(), 1);
    assert!(read.strategies[0].points >= 3);

    check_sweep_folder(&lab.results().join("t1"), &tomls[0]);

    // A second run keeps the first profile and compares with it.
    let first_toml = tomls[0].clone();
    let second = tune(&lab, "t2", &["--compare", first_toml.to_str().unwrap()]);
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(profiles(&lab, "toml").len(), 2);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("against"), "{stdout}");
    let verdicts = ["same", "same within noise", "DIFFERENT"];
    assert!(verdicts.iter().any(|v| stdout.contains(v)), "{stdout}");
}

fn check_sweep_folder(dir: &Path, profile_path: &Path) {
    let record: TuningRecord =
        serde_json::from_str(&fs::read_to_string(dir.join("tuning.json")).unwrap()).unwrap();
    assert_eq!(record.format, "iolab-tuning-sweep");
    assert!(record.complete);
    assert_eq!(
        record.profile.as_deref(),
        Some(profile_path.to_str().unwrap())
    );
    assert_eq!(record.sweeps.len(), 1);
    let sweep = &record.sweeps[0];
    assert_eq!(
        (sweep.workload.name(), sweep.strategy.name()),
        ("read", "threads")
    );
    let workers: Vec<u32> = sweep.points.iter().map(|p| p.at.workers).collect();
    for w in [1, 2, 4] {
        assert!(workers.contains(&w), "{workers:?}");
    }
    assert!(workers.windows(2).all(|p| p[0] < p[1]), "{workers:?}");
    assert!(sweep.knee.is_some() && sweep.shape.is_some());
    assert!(!sweep.stop.is_empty());
    assert!(record.rounds[0].probe);
    for r in &record.rounds {
        assert!(
            dir.join(&r.run_dir).join("run.json").exists(),
            "{}",
            r.run_dir
        );
    }
    // The merged folder is an ordinary run folder.
    let merged = iolab::results::load(dir).unwrap();
    assert_eq!(merged.meta.run_id, "t1");
    assert!(merged
        .summary
        .iter()
        .any(|s| s.scenario_id == sweep.points[0].scenario_id));
}

#[test]
fn bad_flags_are_refused_before_anything_runs() {
    let lab = Lab::new();
    let few = lab
        .iolab()
        .args(["tune", "--reps", "2", "--budget", "5s"])
        .output()
        .unwrap();
    assert_eq!(few.status.code(), Some(1), "{}", text(&few));
    assert!(util::stderr(&few).contains("--reps 2"), "{}", text(&few));
    let seq = lab
        .iolab()
        .args(["tune", "--strategy", "sequential", "--budget", "5s"])
        .output()
        .unwrap();
    assert_eq!(seq.status.code(), Some(1));
    assert!(util::stderr(&seq).contains("baseline"), "{}", text(&seq));
    let budget = lab
        .iolab()
        .args(["tune", "--budget", "soon"])
        .output()
        .unwrap();
    assert!(
        util::stderr(&budget).contains("--budget soon"),
        "{}",
        text(&budget)
    );
    assert!(!lab.results().exists(), "nothing may run");
}

fn choice(setting: &str, workers: u32, mb: f64, half: f64) -> Choice {
    Choice {
        strategy: setting
            .split('(')
            .next()
            .unwrap_or(setting)
            .parse()
            .unwrap(),
        setting: setting.into(),
        workers,
        processes: 1,
        threads: workers,
        mb_per_s: mb,
        mb_per_s_low: mb - half,
        mb_per_s_high: mb + half,
        speedup: Some(1.9),
        speedup_low: Some(1.7),
        speedup_high: Some(2.1),
        shape: Some(CurveShape::Plateau),
        points: 4,
        largest: 8,
        stop: "throughput clearly fell by 8 workers".into(),
    }
}

fn workload(name: &str, rec: Option<Choice>) -> WorkloadProfile {
    WorkloadProfile {
        workload: iolab::workload::WorkloadId::named(name),
        variant: "whole".into(),
        status: if rec.is_some() { "ok" } else { "not measured" }.into(),
        note: "plateau: more workers past the knee change nothing".into(),
        within_noise: vec!["tokio(2)".into()],
        strategies: rec.iter().cloned().collect(),
        sequential: Some(Throughput {
            mb_per_s: 500.0,
            mb_per_s_low: 480.0,
            mb_per_s_high: 520.0,
        }),
        drift: None,
        recommended: rec,
    }
}

fn constructed(host: &str, workloads: Vec<WorkloadProfile>) -> Profile {
    Profile {
        format: profile::PROFILE_FORMAT.into(),
        version: profile::PROFILE_VERSION,
        created_at: "2026-11-21T10:00:00.000Z".into(),
        iolab_version: "0.1.0".into(),
        run_dir: "results/tune-20261121T100000Z".into(),
        command_line: "iolab tune".into(),
        budget_s: 600.0,
        elapsed_s: 590.5,
        settings: Settings {
            scale: "default".into(),
            files: 10_000,
            lines: 1_000,
            values: 10,
            cache: "warm".into(),
            storage: Default::default(),
            reps: 3,
            reps_requested: 5,
            reps_note: "3 repetitions per point instead of --reps 5".into(),
            warmup: 1,
            tolerance: 0.05,
            max_workers: 64,
            cores: 2,
            seed: 42,
        },
        machine: Machine {
            hostname: host.into(),
            cpu_model: "AMD EPYC".into(),
            logical_cpus: 2,
            physical_cores: None,
            memory_bytes: 8 << 30,
            os: "Linux".into(),
            kernel: "6.1".into(),
            filesystem: "ext4".into(),
            mount_source: "/dev/vda".into(),
            block_device: Some("vda".into()),
            rotational: Some(false),
            root: false,
            io: Default::default(),
        },
        workloads,
        skipped: vec![Skip {
            workload: iolab::workload::WorkloadKind::Write.into(),
            strategy: iolab::strategy::StrategyKind::Nested,
            setting: String::new(),
            reason: "budget: its expected sweep did not fit the 40 s left for write".into(),
        }],
    }
}

#[test]
fn profiles_round_trip_through_toml_and_json() {
    let mut p = constructed(
        "a",
        vec![
            workload("read", Some(choice("threads(2)", 2, 1000.0, 40.0))),
            workload("copy", None),
        ],
    );
    p.workloads[0].drift = Some(Drift {
        min_mb_per_s: 800.0,
        max_mb_per_s: 1100.0,
        rounds: 2,
    });
    let toml_text = p.to_toml().unwrap();
    let json_text = p.to_json().unwrap();
    assert_eq!(files::parse(Path::new("p.toml"), &toml_text).unwrap(), p);
    assert_eq!(files::parse(Path::new("p.json"), &json_text).unwrap(), p);
    // The keys a reader relies on are in the TOML as written.
    for key in [
        "format = \"iolab-tuning-profile\"",
        "[machine]",
        "[settings]",
        "[[workloads]]",
        "[workloads.recommended]",
        "[workloads.sequential]",
        "[[workloads.strategies]]",
        "[[skipped]]",
        "mb_per_s_low",
        "speedup_high",
        "shape = \"plateau\"",
        "reps_note",
        "[workloads.drift]",
    ] {
        assert!(toml_text.contains(key), "missing {key} in\n{toml_text}");
    }
}

#[test]
fn profiles_missing_keys_or_of_another_format_are_refused() {
    let p = constructed(
        "a",
        vec![workload(
            "read",
            Some(choice("threads(2)", 2, 1000.0, 40.0)),
        )],
    );
    let text = p.to_toml().unwrap();
    let without_workloads = text.replace("[[workloads]]", "[[other]]");
    let err = files::parse(Path::new("p.toml"), &without_workloads).unwrap_err();
    assert!(format!("{err:#}").contains("workloads"), "{err:#}");
    let without_mb = text.replacen("mb_per_s = 1000.0\n", "", 1);
    let err = files::parse(Path::new("p.toml"), &without_mb).unwrap_err();
    assert!(format!("{err:#}").contains("mb_per_s"), "{err:#}");
    let other = text.replace("iolab-tuning-profile", "something-else");
    let err = files::parse(Path::new("x.toml"), &other).unwrap_err();
    assert!(format!("{err:#}").contains("x.toml"), "{err:#}");
    let newer = text.replace("version = 1", "version = 99");
    assert!(files::parse(Path::new("p.toml"), &newer).is_err());
}

#[test]
fn writing_keeps_an_earlier_profile_of_the_same_day() {
    let dir = tempfile::tempdir().unwrap();
    let p = constructed("my host", vec![]);
    let (t1, j1) = files::write(&p, dir.path()).unwrap();
    let (t2, _) = files::write(&p, dir.path()).unwrap();
    assert_eq!(t1.file_name().unwrap(), "my_host-2026-11-21.toml");
    assert_eq!(j1.file_name().unwrap(), "my_host-2026-11-21.json");
    assert_eq!(t2.file_name().unwrap(), "my_host-2026-11-21-2.toml");
    let (prev, _) = files::previous(dir.path(), ("my host", Default::default()), &t2).unwrap();
    assert_eq!(prev, t1);
    assert!(files::previous(dir.path(), ("other", Default::default()), &t2).is_none());
}

#[test]
fn comparing_profiles_marks_real_differences_and_forgives_noise() {
    let here = constructed(
        "a",
        vec![
            workload("read", Some(choice("threads(2)", 2, 1000.0, 40.0))),
            workload("write", Some(choice("threads(4)", 4, 300.0, 10.0))),
            workload("copy", Some(choice("threads(2)", 2, 200.0, 10.0))),
            workload("append", Some(choice("threads(1)", 1, 20.0, 1.0))),
        ],
    );
    let mut there = constructed(
        "b",
        vec![
            // Another count, intervals overlap: the same within noise.
            workload("read", Some(choice("threads(4)", 4, 1030.0, 40.0))),
            // Another strategy, clearly faster there.
            workload("write", Some(choice("io_uring(8)", 8, 600.0, 10.0))),
            // The same setting, half as fast there.
            workload("copy", Some(choice("threads(2)", 2, 100.0, 5.0))),
        ],
    );
    there.machine.logical_cpus = 16;
    there.workloads[2].drift = Some(Drift {
        min_mb_per_s: 60.0,
        max_mb_per_s: 250.0,
        rounds: 3,
    });
    let c = compare::compare(&here, &there);
    let verdicts: Vec<(&str, Verdict)> = c
        .workloads
        .iter()
        .map(|w| (w.workload.name(), w.verdict))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("read", Verdict::SameWithinNoise),
            ("write", Verdict::Different),
            ("copy", Verdict::Same),
            ("append", Verdict::OnlyHere),
        ]
    );
    assert_eq!(c.different(), 1);
    let copy = &c.workloads[2];
    assert!((copy.ratio.unwrap().0 - 2.0).abs() < 1e-9);
    let fields: Vec<&str> = c.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, vec!["host", "logical cpus"]);

    let mut out = Vec::new();
    render::compare::render(&mut out, &c, "a.toml", "b.toml").unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("logical cpus: 2 here, 16 there"), "{table}");
    assert!(table.contains("same within noise"), "{table}");
    assert!(table.contains("DIFFERENT *"), "{table}");
    assert!(table.contains("same (drift)"), "{table}");
    assert!(!c.workloads[0].drift && c.workloads[2].drift);
    assert!(table.contains("2.00×"), "{table}");
}

#[test]
fn each_setting_of_a_workloads_knobs_is_its_own_profile_entry() {
    let at = |buffer: &str, rec: Choice| {
        let mut w = workload("read", Some(rec));
        w.variant = format!("buffered,buffer={buffer}");
        w
    };
    let here = constructed(
        "a",
        vec![
            at("4KiB", choice("threads(2)", 2, 100.0, 5.0)),
            at("1MiB", choice("threads(4)", 4, 1000.0, 5.0)),
        ],
    );
    let there = constructed(
        "b",
        vec![
            at("1MiB", choice("threads(4)", 4, 1000.0, 5.0)),
            at("4KiB", choice("threads(2)", 2, 50.0, 5.0)),
        ],
    );
    let id = iolab::workload::WorkloadKind::Read.into();
    let small = here
        .entry(id, "buffered,buffer=4KiB")
        .expect("the 4KiB entry");
    assert_eq!(small.recommended.as_ref().unwrap().workers, 2);
    assert!(here.entry(id, "buffered,buffer=64KiB").is_none());
    // Each knob value is compared with the same knob value there, not with
    // the first entry of the workload.
    let c = compare::compare(&here, &there);
    let rows: Vec<(&str, Verdict)> = c
        .workloads
        .iter()
        .map(|w| (w.label.as_str(), w.verdict))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("read buffered,buffer=4KiB", Verdict::Same),
            ("read buffered,buffer=1MiB", Verdict::Same),
        ]
    );
    assert!((c.workloads[0].ratio.unwrap().0 - 2.0).abs() < 1e-9);
    let mut out = Vec::new();
    render::render(&mut out, &here).unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("read buffered,buffer=1MiB"), "{table}");
}

#[test]
fn the_profile_table_shows_recommendations_knees_and_skips() {
    let p = constructed(
        "a",
        vec![
            workload("read", Some(choice("threads(2)", 2, 1000.0, 40.0))),
            workload("copy", None),
        ],
    );
    let mut out = Vec::new();
    render::render(&mut out, &p).unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("threads(2)"), "{table}");
    assert!(table.contains("1000.0 [960.0 … 1040.0]"), "{table}");
    assert!(table.contains("1.90× [1.70 … 2.10]"), "{table}");
    assert!(table.contains("copy      not measured"), "{table}");
    assert!(table.contains("Not measured:"), "{table}");
    assert!(table.contains("write nested: budget"), "{table}");
}
