//! The command line: environment twins of the options, --strace, --stats, -E/-U, and options
//! stopping at the program name.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testsuites/linux/bin")
        .join(name)
}

fn xlate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xlate"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run xlate")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn strace_logs_each_syscall_to_stderr() {
    let hello = bin("hello");
    let out = xlate(&["run", "--strace", hello.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "hello, world\nprintf 12345 beef\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("write(1, \"hello, world\\n"),
        "strace log:\n{err}"
    );
    assert!(err.contains("exit_group(0)"), "strace log:\n{err}");
}

#[test]
fn environment_twins_enable_strace_and_stats() {
    let hello = bin("hello");
    for v in ["1", "true", "yes"] {
        let out = xlate(
            &["run", hello.to_str().unwrap()],
            &[("XLATE_STRACE", v), ("XLATE_STATS", v)],
        );
        let err = text(&out.stderr);
        assert!(err.contains("exit_group(0)"), "XLATE_STRACE={v}:\n{err}");
        assert!(
            err.contains("guest instructions"),
            "XLATE_STATS={v}:\n{err}"
        );
    }
    for v in ["0", "false"] {
        let out = xlate(
            &["run", hello.to_str().unwrap()],
            &[("XLATE_STRACE", v), ("XLATE_STATS", v)],
        );
        assert!(
            out.stderr.is_empty(),
            "XLATE_STRACE={v}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn strace_file_receives_the_log() {
    let hello = bin("hello");
    let log = std::env::temp_dir().join(format!("xlate-strace-{}.txt", std::process::id()));
    let out = xlate(
        &[
            "run",
            "--strace-file",
            log.to_str().unwrap(),
            hello.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "stderr belongs to the guest: {}",
        text(&out.stderr)
    );
    let logged = std::fs::read_to_string(&log).expect("strace file");
    let _ = std::fs::remove_file(&log);
    assert!(logged.contains("exit_group(0)"), "{logged}");
}

#[test]
fn ld_prefix_environment_twin() {
    if !std::path::Path::new("/usr/riscv64-linux-gnu/lib").exists() {
        assert!(
            std::env::var_os("XLATE_REQUIRE_CROSS").is_none(),
            "riscv64 sysroot missing"
        );
        eprintln!("SKIPPED: no /usr/riscv64-linux-gnu");
        return;
    }
    let dynp = bin("hello_dyn");
    let out = xlate(
        &["run", dynp.to_str().unwrap()],
        &[("XLATE_LD_PREFIX", "/usr/riscv64-linux-gnu")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello, world\nprintf 12345 beef\n");
}

#[test]
fn set_and_unset_guest_environment() {
    // auxv prints the value of XLATE_TEST_VAR from the guest's environment.
    let auxv = bin("auxv");
    let out = xlate(
        &[
            "run",
            "-E",
            "XLATE_TEST_VAR=from-cli",
            auxv.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        text(&out.stdout).contains("XLATE_TEST_VAR=from-cli"),
        "{}",
        text(&out.stdout)
    );
    let out = xlate(
        &["run", "-U", "XLATE_TEST_VAR", auxv.to_str().unwrap()],
        &[("XLATE_TEST_VAR", "from-host")],
    );
    assert!(
        !text(&out.stdout).contains("XLATE_TEST_VAR=from-host"),
        "{}",
        text(&out.stdout)
    );
    let out = xlate(
        &["run", auxv.to_str().unwrap()],
        &[("XLATE_TEST_VAR", "from-host")],
    );
    assert!(
        text(&out.stdout).contains("XLATE_TEST_VAR=from-host"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn options_stop_at_the_program_name() {
    let auxv = bin("auxv");
    let out = xlate(&["run", auxv.to_str().unwrap(), "--strace", "-L", "x"], &[]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("argv[1]=[--strace]"), "{stdout}");
    assert!(stdout.contains("argv[2]=[-L]"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "--strace after the program is the guest's: {}",
        text(&out.stderr)
    );
}
