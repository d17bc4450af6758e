//! Linux user-mode programs under `xlate test`: expected results next to the programs, and
//! running one case through `xlate run` in a scratch directory.
//!
//! A program `DIR/bin/PROG` has expected results when `DIR/expected/` exists. Each case NAME
//! there is described by `NAME.stdout` and `NAME.status` (the status as a shell reports it: the
//! exit code, or 128+N for a program killed by signal N), and optionally `NAME.args` (one
//! argument per line), `NAME.stdin`, `NAME.env` (`KEY=VALUE` per line), `NAME.bin` (the program
//! when it is not `bin/NAME`) and `NAME.dynamic` (a dynamically linked program, run with `-L`).
//! The same layout serves the project's integration tests (`tests/common`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One expected-results case of a Linux program.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    expected_dir: PathBuf,
}

/// The cases of every program in `files`, keyed by program path: cases whose `NAME.bin` (or,
/// without one, NAME) is the program's file name, in name order.
pub fn cases_for(files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<Case>> {
    let mut by_dir: BTreeMap<PathBuf, BTreeMap<String, Vec<Case>>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for f in files {
        let Some(exp) = f
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join("expected"))
        else {
            continue;
        };
        if !exp.is_dir() {
            continue;
        }
        let table = by_dir
            .entry(exp.clone())
            .or_insert_with(|| read_cases(&exp));
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(cases) = name.and_then(|n| table.get(&n)) {
            out.insert(f.clone(), cases.clone());
        }
    }
    out
}

/// Program file name -> its cases, for one `expected/` directory.
fn read_cases(exp: &Path) -> BTreeMap<String, Vec<Case>> {
    let mut names: Vec<String> = std::fs::read_dir(exp)
        .map(|rd| {
            rd.filter_map(|e| {
                let n = e.ok()?.file_name().into_string().ok()?;
                n.strip_suffix(".stdout").map(str::to_string)
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut table: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for name in names {
        let prog = std::fs::read_to_string(exp.join(format!("{name}.bin")))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| name.clone());
        table.entry(prog).or_default().push(Case {
            name,
            expected_dir: exp.to_path_buf(),
        });
    }
    table
}

/// How a case ended, for the runner's result line.
pub enum Verdict {
    Pass,
    Fail(String),
    Timeout,
    Skip(String),
}

/// What running a case needs from the runner.
pub struct RunCtx<'a> {
    pub exe: &'a Path,
    pub engine: &'a str,
    pub jit_threshold: u32,
    pub timeout: Duration,
    /// The riscv64 sysroot for dynamically linked programs.
    pub ld_prefix: Option<&'a Path>,
}

impl Case {
    fn file(&self, ext: &str) -> PathBuf {
        self.expected_dir.join(format!("{}.{ext}", self.name))
    }

    fn text(&self, ext: &str) -> Result<Option<String>, String> {
        match std::fs::read(self.file(ext)) {
            Ok(d) => String::from_utf8(d)
                .map(Some)
                .map_err(|_| format!("{} is not UTF-8", self.file(ext).display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.file(ext).display())),
        }
    }

    /// Runs the case: `xlate run` with its arguments, input and environment in a fresh
    /// directory, then compares standard output and the exit status with the expected ones.
    pub fn run(&self, ctx: &RunCtx, program: &Path) -> Verdict {
        match self.run_inner(ctx, program) {
            Ok(v) => v,
            Err(e) => Verdict::Fail(e),
        }
    }

    fn run_inner(&self, ctx: &RunCtx, program: &Path) -> Result<Verdict, String> {
        let expected_stdout = std::fs::read(self.file("stdout"))
            .map_err(|e| format!("{}: {e}", self.file("stdout").display()))?;
        let status_text = self
            .text("status")?
            .ok_or_else(|| format!("{} is missing", self.file("status").display()))?;
        let expected_status: i32 = status_text
            .trim()
            .parse()
            .map_err(|_| format!("bad expected status {:?}", status_text.trim()))?;
        let args: Vec<String> = self
            .text("args")?
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let mut env = Vec::new();
        for l in self.text("env")?.unwrap_or_default().lines() {
            if l.is_empty() {
                continue;
            }
            let (k, v) = l
                .split_once('=')
                .ok_or_else(|| format!("bad line {l:?} in {}", self.file("env").display()))?;
            env.push((k.to_string(), v.to_string()));
        }
        let stdin = match std::fs::read(self.file("stdin")) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{}: {e}", self.file("stdin").display())),
        };
        let dynamic = self.file("dynamic").exists();
        let ld_prefix = match (dynamic, ctx.ld_prefix) {
            (true, None) => {
                return Ok(Verdict::Skip(
                    "dynamically linked: needs the riscv64 sysroot (-L DIR)".into(),
                ))
            }
            (true, Some(p)) => Some(p),
            (false, _) => None,
        };
        let program = std::path::absolute(program).map_err(|e| e.to_string())?;
        let scratch = Scratch::new()?;
        let mut cmd = Command::new(ctx.exe);
        cmd.arg("run")
            .arg("--engine")
            .arg(ctx.engine)
            .arg("--jit-threshold")
            .arg(ctx.jit_threshold.to_string());
        if let Some(p) = ld_prefix {
            cmd.arg("-L").arg(p);
        }
        cmd.arg(&program)
            .args(&args)
            .envs(env)
            .current_dir(&scratch.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start xlate run: {e}"))?;
        // Feed stdin and drain stdout/stderr on threads so no pipe can block the guest.
        let input = child.stdin.take();
        std::thread::spawn(move || {
            if let Some(mut i) = input {
                let _ = i.write_all(&stdin);
            }
        });
        let drain = |s: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut s) = s {
                    let _ = s.by_ref().take(16 << 20).read_to_end(&mut buf);
                    let _ = std::io::copy(&mut s, &mut std::io::sink());
                }
                buf
            })
        };
        let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
        let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
        let status = wait_until(&mut child, ctx.timeout)?;
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        let Some(status) = status else {
            return Ok(Verdict::Timeout);
        };
        let got = match (status.code(), status.signal()) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            (None, None) => return Err("ended without a status".into()),
        };
        if got != expected_status {
            let first = String::from_utf8_lossy(&stderr)
                .lines()
                .find(|l| l.starts_with("xlate:"))
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            return Ok(Verdict::Fail(format!(
                "exit status {got}, expected {expected_status}{first}"
            )));
        }
        if stdout != expected_stdout {
            return Ok(Verdict::Fail(first_difference(&expected_stdout, &stdout)));
        }
        Ok(Verdict::Pass)
    }
}

/// Waits for `child` at most `timeout`; kills it then and returns `None`.
pub fn wait_until(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Result<Option<std::process::ExitStatus>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Ok(Some(s)),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("waiting for xlate run: {e}")),
        }
    }
}

/// The first line where standard output differs from the expected one.
fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let g = String::from_utf8_lossy(got);
    let (el, gl): (Vec<&str>, Vec<&str>) = (
        e.split_inclusive('\n').collect(),
        g.split_inclusive('\n').collect(),
    );
    for i in 0..el.len().max(gl.len()) {
        let (x, y) = (el.get(i), gl.get(i));
        if x != y {
            let show =
                |s: Option<&&str>| s.map_or("end of output".to_string(), |s| format!("{s:?}"));
            return format!(
                "stdout differs at line {}: got {}, expected {}",
                i + 1,
                show(y),
                show(x)
            );
        }
    }
    "stdout differs".into()
}

/// A fresh working directory for one case, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "xlate-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(Self(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
