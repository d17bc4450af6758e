//! `xlate test` and `xlate run --bare`: the runner fixtures in testsuites/runner (every kind
//! of outcome, asserted line by line), reports, usage errors, and the project's ISA suite in
//! testsuites/isa when it is present.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn xlate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlate"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run xlate")
}

/// The engines every test runs under: the interpreter, and the JIT translating each block at
/// its first execution.
const ENGINES: [&[&str]; 2] = [
    &["--engine", "interp"],
    &["--engine", "jit", "--jit-threshold", "1"],
];

/// `xlate SUBCOMMAND ENGINE-OPTIONS REST...`.
fn xlate_on(engine: &[&str], args: &[&str]) -> Output {
    let mut all = vec![args[0]];
    all.extend_from_slice(engine);
    all.extend_from_slice(&args[1..]);
    xlate(&all)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Lines of stdout without the trailing " (1.234s)" times.
fn lines(out: &Output) -> Vec<String> {
    text(&out.stdout)
        .lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with("s)") => l[..i].to_string(),
            _ => l.to_string(),
        })
        .collect()
}

#[test]
fn runner_fixtures_give_one_line_each_and_the_closing_line() {
    for engine in ENGINES {
        let out = xlate_on(
            engine,
            &["test", "--timeout", "1", "--jobs", "2", "testsuites/runner"],
        );
        let expected = [
            "PASS    testsuites/runner/bin/console",
            "FAIL    testsuites/runner/bin/fail-case-3: case 3",
            "FAIL    testsuites/runner/bin/garbage: trap loop at pc=0x0: instruction access fault (tval=0x0)",
            "PASS    testsuites/runner/bin/linux-exit-0",
            "FAIL    testsuites/runner/bin/linux-exit-1: exit status 1",
            "FAIL    testsuites/runner/bin/not-elf: not an ELF file",
            "PASS    testsuites/runner/bin/pass",
            "PASS    testsuites/runner/bin/signature",
            "FAIL    testsuites/runner/bin/signature-mismatch: signature mismatch at line 3: got cafef00d, expected cafef00e",
            "TIMEOUT testsuites/runner/bin/timeout",
            "4 passed, 6 failed",
        ];
        assert_eq!(lines(&out), expected, "stderr: {}", text(&out.stderr));
        assert_eq!(out.status.code(), Some(1));
        // Not a terminal: no progress line.
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn all_passing_exits_zero_and_filter_selects() {
    for engine in ENGINES {
        let out = xlate_on(engine, &["test", "--filter", "pass", "testsuites/runner"]);
        assert_eq!(
            lines(&out),
            ["PASS    testsuites/runner/bin/pass", "1 passed, 0 failed"]
        );
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn a_named_file_and_a_reference_directory() {
    for engine in ENGINES {
        let dir = std::env::temp_dir().join(format!("xlate-ref-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The right reference for signature-mismatch, found through --reference.
        std::fs::copy(
            root().join("testsuites/runner/bin/signature.reference_output"),
            dir.join("signature-mismatch.reference_output"),
        )
        .unwrap();
        let out = xlate_on(
            engine,
            &[
                "test",
                "--reference",
                dir.to_str().unwrap(),
                "testsuites/runner/bin/signature-mismatch",
            ],
        );
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(
            lines(&out),
            [
                "PASS    testsuites/runner/bin/signature-mismatch",
                "1 passed, 0 failed"
            ]
        );
    }
}

#[test]
fn json_and_junit_reports() {
    for engine in ENGINES {
        let dir = std::env::temp_dir().join(format!("xlate-rep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
        let out = xlate_on(
            engine,
            &[
                "test",
                "--filter",
                "fail-case",
                "--json",
                json.to_str().unwrap(),
                "--junit",
                junit.to_str().unwrap(),
                "testsuites/runner",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let j = std::fs::read_to_string(&json).unwrap();
        assert!(
            j.starts_with("{\"passed\": 0, \"failed\": 1, \"skipped\": 0"),
            "{j}"
        );
        assert!(
            j.contains("\"path\": \"testsuites/runner/bin/fail-case-3\", \"status\": \"FAIL\", \"reason\": \"case 3\""),
            "{j}"
        );
        let x = std::fs::read_to_string(&junit).unwrap();
        assert!(
            x.contains("tests=\"1\" failures=\"1\" skipped=\"0\""),
            "{x}"
        );
        assert!(x.contains("<failure message=\"case 3\"/>"), "{x}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(xlate(&["test"]).status.code(), Some(2));
    assert_eq!(xlate(&["test", "no/such/dir"]).status.code(), Some(2));
    assert_eq!(
        xlate(&["test", "--timeout", "0", "testsuites/runner"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn run_bare_writes_the_signature_and_passes_the_console_through() {
    for engine in ENGINES {
        let sig = std::env::temp_dir().join(format!("xlate-sig-{}", std::process::id()));
        let out = xlate_on(
            engine,
            &[
                "run",
                "--bare",
                "--signature",
                sig.to_str().unwrap(),
                "testsuites/runner/bin/signature",
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        let s = std::fs::read_to_string(&sig).unwrap();
        assert_eq!(s, "12345678\nffffffff\ncafef00d\ndeadbeef\n");
        let out = xlate_on(
            engine,
            &[
                "run",
                "--bare",
                "--signature",
                sig.to_str().unwrap(),
                "--signature-granularity",
                "8",
                "testsuites/runner/bin/signature",
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        let s = std::fs::read_to_string(&sig).unwrap();
        std::fs::remove_file(&sig).ok();
        assert_eq!(s, "ffffffff12345678\ndeadbeefcafef00d\n");

        let out = xlate_on(engine, &["run", "--bare", "testsuites/runner/bin/console"]);
        assert_eq!(
            (out.status.code(), text(&out.stdout)),
            (Some(0), "Abc\n".into())
        );
        let out = xlate_on(
            engine,
            &["run", "--bare", "testsuites/runner/bin/fail-case-3"],
        );
        assert_eq!(out.status.code(), Some(3));
    }
}

/// The project's ISA suite (testsuites/isa, written separately) passes entirely.
#[test]
fn isa_suite_passes() {
    if !root().join("testsuites/isa").is_dir() {
        eprintln!("testsuites/isa not present: skipped");
        return;
    }
    let mut results = Vec::new();
    for engine in ENGINES {
        let out = xlate_on(engine, &["test", "testsuites/isa"]);
        let stdout = text(&out.stdout);
        let last = stdout.lines().last().unwrap_or("");
        assert!(last.ends_with(" 0 failed"), "{engine:?}: {stdout}");
        assert_eq!(out.status.code(), Some(0), "{engine:?}: {stdout}");
        results.push(lines(&out));
    }
    assert_eq!(results[0], results[1], "the engines disagree");
}

/// `xlate test testsuites/` passes as a whole under both engines: the fixtures that must fail
/// (testsuites/runner, testsuites/linux/bad) carry `.xlate-test-skip`, and each Linux case is
/// checked against its expected stdout and exit status (one line per case).
#[test]
fn whole_testsuites_tree_passes() {
    let mut results = Vec::new();
    for engine in ENGINES {
        let out = xlate_on(engine, &["test", "--timeout", "120", "testsuites"]);
        let stdout = text(&out.stdout);
        let got = lines(&out);
        let last = got.last().cloned().unwrap_or_default();
        assert!(last.ends_with(" 0 failed"), "{engine:?}: {stdout}");
        assert_eq!(out.status.code(), Some(0), "{engine:?}: {stdout}");
        for want in [
            "PASS    testsuites/isa/bin/rv64ui",
            "PASS    testsuites/isa/bin/rv64ssstc",
            "PASS    testsuites/linux/bin/exitcode [exit_3]",
            "PASS    testsuites/linux/bin/memfault",
            "PASS    testsuites/linux/bin/hello",
        ] {
            assert!(
                got.iter().any(|l| l == want),
                "{engine:?}: no {want:?} in\n{stdout}"
            );
        }
        assert!(
            !stdout.contains("testsuites/runner") && !stdout.contains("linux/bad"),
            "{engine:?}: skipped directories were searched:\n{stdout}"
        );
        results.push(got);
    }
    assert_eq!(results[0], results[1], "the engines disagree");
}

/// A Linux case whose output or status differs from the expected one fails with the first
/// difference; a dynamically linked case without a sysroot is skipped with the reason.
#[test]
fn linux_cases_compare_stdout_and_status() {
    let dir = std::env::temp_dir().join(format!("xlate-linux-cases-{}", std::process::id()));
    let (bin, exp) = (dir.join("bin"), dir.join("expected"));
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&exp).expect("mkdir");
    let suite = root().join("testsuites/linux");
    std::fs::copy(suite.join("bin/exitcode"), bin.join("exitcode")).expect("copy");
    std::fs::copy(suite.join("bin/hello"), bin.join("hello")).expect("copy");
    let write = |name: &str, data: &str| std::fs::write(exp.join(name), data).expect("write");
    // Right status, wrong output.
    write("exit_3.bin", "exitcode\n");
    write("exit_3.args", "exit\n3\n");
    write("exit_3.status", "3\n");
    write("exit_3.stdout", "mode=exit status=3\natexit ran?\n");
    // Right output, wrong status.
    write("exit_4.bin", "exitcode\n");
    write("exit_4.args", "exit\n4\n");
    write("exit_4.status", "5\n");
    write("exit_4.stdout", "mode=exit status=4\natexit ran\n");
    // Dynamic without a sysroot.
    write("hello.stdout", "");
    write("hello.status", "0\n");
    write("hello.dynamic", "");
    let out = xlate(&[
        "test",
        "-L",
        "none",
        "--jobs",
        "1",
        dir.to_str().expect("utf-8 temp dir"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display();
    assert_eq!(
        lines(&out),
        [
            format!("FAIL    {d}/bin/exitcode [exit_3]: stdout differs at line 2: got \"atexit ran\\n\", expected \"atexit ran?\\n\""),
            format!("FAIL    {d}/bin/exitcode [exit_4]: exit status 4, expected 5"),
            format!("SKIP    {d}/bin/hello: dynamically linked: needs the riscv64 sysroot (-L DIR)"),
            "0 passed, 2 failed, 1 skipped".to_string(),
        ]
    );
    assert_eq!(out.status.code(), Some(1));
}
