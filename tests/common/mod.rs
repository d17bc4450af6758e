//! Shared helpers for the integration tests: where the `xlate` binary and the guest
//! test suite (`testsuites/linux`) are, how a test case is described on disk, and
//! running a program with stdin/args/env and a timeout, reporting how it ended.
//!
//! A test case NAME is described by files in `testsuites/linux/expected/`:
//! `NAME.stdout` and `NAME.status` (the exit status as the shell reports it: the exit
//! code, or 128+N for a program killed by signal N), and optionally `NAME.args` (one
//! argument per line), `NAME.stdin`, `NAME.env` (`KEY=VALUE` per line), `NAME.bin`
//! (the program in `bin/` when it is not NAME) and `NAME.dynamic` (a dynamically
//! linked program: needs `-L` and the riscv64 sysroot).
#![allow(dead_code)] // each test crate uses a different part of this module

pub mod console;

use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The execution engines every guest test runs under, unless `XLATE_TEST_ENGINES`
/// (comma-separated) says otherwise. Add "jit" here once it exists.
/// `jit` is the default configuration (blocks translated after 1000 runs); `jit-eager`
/// translates every block on its first run (`--jit-threshold 1`), so even short programs run
/// almost entirely as translated code.
pub const DEFAULT_ENGINES: &[&str] = &["interp", "jit", "jit-eager"];

/// The `xlate run` options selecting an engine configuration named in [`engines`].
pub fn engine_args(engine: &str) -> Vec<String> {
    match engine {
        "jit-eager" => vec![
            "--engine".into(),
            "jit".into(),
            "--jit-threshold".into(),
            "1".into(),
        ],
        other => vec!["--engine".into(), other.into()],
    }
}

/// A guest program that has not finished after this long is killed and fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The Debian/Ubuntu riscv64 cross sysroot (`libc6-riscv64-cross`), passed with `-L`
/// to dynamically linked programs.
pub const SYSROOT: &str = "/usr/riscv64-linux-gnu";

/// The `xlate` binary cargo built for these tests.
pub fn xlate() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xlate"))
}

/// `testsuites/linux` in the source tree.
pub fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testsuites")
        .join("linux")
}

pub fn bin_dir() -> PathBuf {
    suite_dir().join("bin")
}

pub fn bad_dir() -> PathBuf {
    suite_dir().join("bad")
}

pub fn expected_dir() -> PathBuf {
    suite_dir().join("expected")
}

/// The engines to test: `XLATE_TEST_ENGINES` (comma-separated) or [`DEFAULT_ENGINES`].
pub fn engines() -> Vec<String> {
    match std::env::var("XLATE_TEST_ENGINES") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
        _ => DEFAULT_ENGINES.iter().map(|e| e.to_string()).collect(),
    }
}

/// Whether an environment variable is set to "1".
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

/// Whether the riscv64 sysroot needed by dynamically linked guests is installed.
pub fn sysroot_available() -> bool {
    Path::new(SYSROOT)
        .join("lib")
        .join("ld-linux-riscv64-lp64d.so.1")
        .exists()
}

/// For a test that needs the cross sysroot: `true` to go on, `false` (after saying so)
/// to skip. Panics instead of skipping when `XLATE_REQUIRE_CROSS=1` (CI).
pub fn require_sysroot(what: &str) -> bool {
    if sysroot_available() {
        return true;
    }
    assert!(
        !env_flag("XLATE_REQUIRE_CROSS"),
        "{what}: the riscv64 sysroot {SYSROOT} is missing and XLATE_REQUIRE_CROSS=1"
    );
    eprintln!("SKIPPED {what}: {SYSROOT} is missing (install libc6-riscv64-cross)");
    false
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// exited with this code
    Code(i32),
    /// killed by this signal
    Signal(i32),
    /// still running after [`TIMEOUT`]; it was killed
    TimedOut,
}

impl Status {
    fn from_exit(status: ExitStatus) -> Status {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Status::Code(code),
            (None, Some(sig)) => Status::Signal(sig),
            (None, None) => unreachable!("a finished process has a code or a signal"),
        }
    }

    /// Whether this is how a guest ending with shell-style status `expected` may show up
    /// as xlate's own status. A guest killed by signal N makes xlate either exit with
    /// 128+N or die by the same signal N (DESIGN.md: "a guest killed by signal N ends
    /// xlate the same way (the shell sees 128+N)"); both are accepted, and nothing else.
    pub fn matches_guest(self, expected: i32) -> bool {
        match self {
            Status::Code(code) => code == expected,
            Status::Signal(sig) => expected > 128 && sig == expected - 128,
            Status::TimedOut => false,
        }
    }

    /// The status as a shell would report it (128+N for signal N).
    pub fn shell_status(self) -> Option<i32> {
        match self {
            Status::Code(code) => Some(code),
            Status::Signal(sig) => Some(128 + sig),
            Status::TimedOut => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(code) => write!(f, "exit code {code}"),
            Status::Signal(sig) => write!(f, "terminated by signal {sig}"),
            Status::TimedOut => write!(f, "timed out after {TIMEOUT:?} (killed)"),
        }
    }
}

/// What a finished process produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
}

impl Output {
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A command to run: program, arguments, stdin, extra environment, working directory.
#[derive(Debug, Clone)]
pub struct Run {
    program: PathBuf,
    args: Vec<OsString>,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
    cwd: Option<PathBuf>,
    timeout: Duration,
}

impl Run {
    pub fn new(program: impl Into<PathBuf>) -> Run {
        Run {
            program: program.into(),
            args: Vec::new(),
            stdin: Vec::new(),
            env: Vec::new(),
            // Never let a developer's environment change what the tests see.
            env_remove: vec!["XLATE_LD_PREFIX".into(), "QEMU_LD_PREFIX".into()],
            cwd: None,
            timeout: TIMEOUT,
        }
    }

    /// `xlate` itself.
    pub fn xlate() -> Run {
        Run::new(xlate())
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Run {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Run {
        self.stdin = data.into();
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Run {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Kill the program after `limit` instead of [`TIMEOUT`].
    #[allow(dead_code)] // not every test binary uses it
    pub fn timeout(mut self, limit: Duration) -> Run {
        self.timeout = limit;
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Run {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs to completion and checks that it exited with status 0 and printed exactly
    /// `expected/CASE.stdout` (a diff otherwise); returns the output for further checks.
    pub fn run_expecting(&self, case: &str) -> Output {
        let expected = std::fs::read(expected_dir().join(format!("{case}.stdout")))
            .unwrap_or_else(|e| panic!("expected output of {case}: {e}"));
        let out = self.run();
        assert_eq!(out.status, Status::Code(0), "{out:?}");
        assert!(
            out.stdout == expected,
            "{}",
            diff(&expected, &out.stdout, 10)
        );
        out
    }

    /// Runs to completion (or until the timeout, then kills it) and collects output.
    pub fn run(&self) -> Output {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));

        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = self.stdin.clone();
        // A guest that does not read its stdin closes the pipe early: ignore EPIPE.
        let writer = thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut out = child.stdout.take().expect("stdout is piped");
        let reader_out = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        });
        let mut err = child.stderr.take().expect("stderr is piped");
        let reader_err = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        });

        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Status::from_exit(status),
                Ok(None) if start.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Status::TimedOut;
                }
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("waiting for {}: {e}", self.program.display()),
            }
        };
        let _ = writer.join();
        // If the process left a grandchild holding the pipes, the readers would block;
        // xlate runs the guest in its own process, so they finish with the child.
        let stdout = reader_out.join().expect("stdout reader");
        let stderr = reader_err.join().expect("stderr reader");
        Output {
            stdout,
            stderr,
            status,
        }
    }
}

/// A fresh, empty scratch directory used as the guest's working directory (some
/// guests create and remove files there). Removed again by [`Scratch::drop`].
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("xlate-test-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One guest test case, read from `testsuites/linux/expected/NAME.*`.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    pub env: Vec<(String, String)>,
    pub dynamic: bool,
    pub expected_stdout: Vec<u8>,
    pub expected_status: i32,
}

fn read_opt(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(data) => Some(data),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn read_text(path: &Path) -> Option<String> {
    read_opt(path)
        .map(|d| String::from_utf8(d).unwrap_or_else(|_| panic!("{} is not UTF-8", path.display())))
}

impl Case {
    pub fn load(name: &str) -> Case {
        let exp = expected_dir();
        let file = |ext: &str| exp.join(format!("{name}.{ext}"));
        let expected_stdout = read_opt(&file("stdout"))
            .unwrap_or_else(|| panic!("test case {name}: {} is missing", file("stdout").display()));
        let status_text = read_text(&file("status"))
            .unwrap_or_else(|| panic!("test case {name}: {} is missing", file("status").display()));
        let expected_status = status_text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("test case {name}: bad status {status_text:?}"));
        let bin =
            read_text(&file("bin")).map_or_else(|| name.to_string(), |b| b.trim().to_string());
        let program = bin_dir().join(bin);
        assert!(
            program.is_file(),
            "test case {name}: {} is missing",
            program.display()
        );
        let args = read_text(&file("args"))
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let env = read_text(&file("env"))
            .map(|t| {
                t.lines()
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let (k, v) = l
                            .split_once('=')
                            .unwrap_or_else(|| panic!("test case {name}: bad env line {l:?}"));
                        (k.to_string(), v.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Case {
            name: name.to_string(),
            program,
            args,
            stdin: read_opt(&file("stdin")).unwrap_or_default(),
            env,
            dynamic: file("dynamic").exists(),
            expected_stdout,
            expected_status,
        }
    }

    /// Every case with an `expected/NAME.stdout`, sorted.
    pub fn all_names() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(expected_dir())
            .expect("testsuites/linux/expected")
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".stdout").map(str::to_string)
            })
            .collect();
        names.sort();
        names
    }

    /// Runs this case under `xlate run --engine ENGINE` in a fresh scratch directory.
    pub fn run_xlate(&self, engine: &str) -> Output {
        let scratch = Scratch::new(&format!("{}-{engine}", self.name));
        let mut run = Run::xlate().arg("run");
        if self.dynamic {
            run = run.arg("-L").arg(SYSROOT);
        }
        for a in engine_args(engine) {
            run = run.arg(a);
        }
        run = run.arg(&self.program);
        self.finish(run, &scratch)
    }

    /// Runs this case under qemu-riscv64, the reference.
    pub fn run_qemu(&self) -> Output {
        let scratch = Scratch::new(&format!("{}-qemu", self.name));
        let mut run = Run::new("qemu-riscv64");
        if self.dynamic {
            run = run.arg("-L").arg(SYSROOT);
        }
        run = run.arg(&self.program);
        self.finish(run, &scratch)
    }

    fn finish(&self, mut run: Run, scratch: &Scratch) -> Output {
        run = run
            .args(&self.args)
            .stdin(self.stdin.clone())
            .cwd(&scratch.path);
        for (k, v) in &self.env {
            run = run.env(k.clone(), v.clone());
        }
        run.run()
    }
}

/// The number a `--stats` field ends with before `suffix` ("12 page invalidations", "time:
/// 0.011 s in translated code"), fields being separated by commas, semicolons and lines.
pub fn stat(err: &str, suffix: &str) -> f64 {
    err.split([',', ';', '\n'])
        .find_map(|f| {
            f.trim()
                .strip_suffix(suffix)?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {suffix:?} in {err:?}"))
}

/// A readable description of how `actual` differs from `expected`: the first
/// differing lines with their line numbers (at most `max` of them).
pub fn diff(expected: &[u8], actual: &[u8], max: usize) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..el.len().max(al.len()) {
        let (x, y) = (el.get(i), al.get(i));
        if x == y {
            continue;
        }
        if shown == max {
            out.push_str("    ... (more differences)\n");
            break;
        }
        shown += 1;
        let show = |l: Option<&&str>| match l {
            Some(l) => format!("{:?}", l),
            None => "<missing>".to_string(),
        };
        out.push_str(&format!(
            "    line {}:\n      expected {}\n      actual   {}\n",
            i + 1,
            show(x),
            show(y)
        ));
    }
    out.push_str(&format!(
        "    ({} lines / {} bytes expected, {} lines / {} bytes actual)\n",
        el.len(),
        expected.len(),
        al.len(),
        actual.len()
    ));
    out
}

/// The stderr lines that say something went wrong inside xlate itself.
pub fn assert_no_panic(what: &str, out: &Output) {
    let err = out.stderr_text();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: xlate panicked:\n{err}"
    );
}

/// Calls macro `$m` with the name of every guest test case in `testsuites/linux/expected`
/// (one list for every test file that makes a test per case; the test files check that it
/// matches the expected files).
#[allow(unused_macros)] // not every test binary makes a test per case
macro_rules! with_guest_cases {
    ($m:ident) => {
        $m!(
            hello,
            hello_dyn,
            hello_pie,
            exit_0,
            exit_3,
            exit_255,
            exit_ret42,
            exit_underscore,
            auxv,
            upcase,
            verify_inject,
            isa_int,
            isa_zb,
            isa_fp,
            fileio,
            memory,
            memfault,
            syscalls,
            realistic,
            smc,
            bench_sieve,
            bench_fib,
            bench_fp,
            jump_garbage,
            jump_unmapped,
            sbx_spin,
            sbx_alloc,
            sbx_mem,
            sbx_escape,
            tool_demo,
            sig_segv,
            sig_loads,
            sig_stores,
            sig_bus_file,
            sig_pressure,
            jit_emit,
            jit_emit_procmem,
            sig_ill,
            sig_alarm,
            sig_mask,
            sig_die_abort,
            sig_die_segv,
            sig_die_term,
            sig_die_kill,
            sig_die_ill,
            sig_die_blocked_segv,
            sig_pwait,
            proc_fork,
            proc_exec,
            proc_pipeline,
            proc_info,
            proc_heap,
            soak_fork,
            soak_mmap,
            net_echo,
            thr_sync,
            thr_signal,
            thr_smc,
            thr_exit,
            thr_fork,
            bench_threads,
            thr_cxx,
            gdb_demo,
        );
    };
}
#[allow(unused_imports)] // not every test binary makes a test per case
pub(crate) use with_guest_cases;
