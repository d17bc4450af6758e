//! `xlate test PATH...`: runs ISA conformance tests and reports which pass, and `xlate run
//! --bare`: one bare-metal program on the privileged hart (riscv-tests HTIF protocol,
//! riscv-arch-test signature protocol; RISC-V Privileged ISA 20211203 for the machine).
//!
//! A test is one of three kinds, decided from the ELF file:
//! * bare metal (it has a `tohost` symbol, or its entry point is in RAM): loaded at its
//!   physical addresses and run in M-mode until it writes `tohost`; with
//!   `begin_signature`/`end_signature` and a `NAME.reference_output` next to it (or in
//!   `--reference DIR`) the signature must match too;
//! * Linux user mode (anything else for riscv64): with expected results in a sibling
//!   `expected/` directory (see [`crate::test_linux`]) each case of the program is one test
//!   that must give the expected standard output and exit status; without, the program passes
//!   when `xlate run` exits 0.
//!
//! A directory holding a file named `.xlate-test-skip` is not searched when it is reached
//! from a parent directory (fixtures that must fail); naming it on the command line runs it.
//!
//! Non-ELF files in a directory are skipped when they are clearly not tests (sources, notes,
//! dotfiles, upper-case names such as README); a file that looks like a test (no extension or
//! `.elf`, or executable) and is not a valid ELF fails with the reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use runtime::machine::Engine as MachineEngine;
use runtime::machine::{
    cause_name, parse_elf, symbol, Config, Limits, LoadError, Machine, Misaligned, Outcome,
    RAM_BASE,
};

use crate::test_linux::{Case, RunCtx, Verdict};
use crate::Engine;

/// Options of the bare-metal machine (shared by `xlate test` and `xlate run --bare`).
#[derive(clap::Args, Clone, Debug)]
pub struct MachineArgs {
    /// Bytes per line of a signature dump (4 or 8).
    #[arg(long, value_name = "4|8", default_value = "4", value_parser = parse_granularity, env = "XLATE_SIGNATURE_GRANULARITY")]
    pub signature_granularity: u64,

    /// Misaligned loads and stores on bare metal: emulate (complete them, as spike and
    /// `xlate boot` do; LR/SC and AMOs still raise address-misaligned) or trap (raise
    /// address-misaligned exceptions, for testing a trap handler's emulation).
    #[arg(long, value_enum, default_value = "emulate", env = "XLATE_MISALIGNED")]
    pub misaligned: MisalignedArg,

    /// RAM size of the bare-metal machine in MiB (at 0x80000000).
    #[arg(long, value_name = "MIB", default_value = "256", value_parser = clap::value_parser!(u64).range(1..=65536), env = "XLATE_RAM_SIZE")]
    pub ram_size: u64,
}

/// `xlate run` options for bare-metal programs.
#[derive(clap::Args, Clone, Debug)]
pub struct BareArgs {
    /// Run the program on the bare-metal machine (M-mode at the ELF entry, HTIF) instead of as a
    /// Linux process.
    #[arg(long, env = "XLATE_BARE", value_parser = clap::builder::FalseyValueParser::new())]
    pub bare: bool,

    /// With --bare: write the memory between begin_signature and end_signature to FILE.
    #[arg(long, value_name = "FILE", requires = "bare", env = "XLATE_SIGNATURE")]
    pub signature: Option<PathBuf>,

    #[command(flatten)]
    pub machine: MachineArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MisalignedArg {
    Trap,
    Emulate,
}

fn parse_granularity(s: &str) -> Result<u64, String> {
    match s {
        "4" => Ok(4),
        "8" => Ok(8),
        _ => Err("must be 4 or 8".into()),
    }
}

impl MachineArgs {
    fn config(&self, echo: bool, engine: MachineEngine) -> Config {
        Config {
            engine,
            ram_base: RAM_BASE,
            ram_size: self.ram_size << 20,
            misaligned: match self.misaligned {
                MisalignedArg::Trap => Misaligned::Trap,
                MisalignedArg::Emulate => Misaligned::Emulate,
            },
            echo_console: echo,
        }
    }
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Execution engine (bare-metal tests run on it in-process; Linux tests are run by
    /// `xlate run --engine ENGINE --jit-threshold N`).
    #[arg(long, value_enum, default_value = "interp", env = "XLATE_ENGINE")]
    engine: Engine,

    /// JIT: translate a block once it has run this many times in the interpreter (1: translate
    /// everything at first execution, which tests the JIT most).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        env = "XLATE_JIT_THRESHOLD"
    )]
    jit_threshold: u32,

    /// Tests run in parallel (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), env = "XLATE_JOBS")]
    jobs: Option<u32>,

    /// Time limit per test in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout, env = "XLATE_TIMEOUT")]
    timeout: f64,

    /// Instruction limit per bare-metal test (default: 10^9 per second of --timeout).
    #[arg(long, value_name = "N", env = "XLATE_MAX_INSTRUCTIONS")]
    max_instructions: Option<u64>,

    /// Only run tests whose path contains PATTERN.
    #[arg(long, value_name = "PATTERN", env = "XLATE_FILTER")]
    filter: Option<String>,

    /// Look for NAME.reference_output in DIR (default: next to the test).
    #[arg(long, value_name = "DIR", env = "XLATE_REFERENCE")]
    reference: Option<PathBuf>,

    /// The riscv64 sysroot for dynamically linked Linux tests (default: /usr/riscv64-linux-gnu
    /// when it exists; `none`: no sysroot, such tests are skipped).
    #[arg(
        short = 'L',
        long = "ld-prefix",
        value_name = "DIR",
        env = "XLATE_LD_PREFIX"
    )]
    ld_prefix: Option<PathBuf>,

    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Write a JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    #[command(flatten)]
    machine: MachineArgs,

    /// Test files or directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1e6 => Ok(v),
        _ => Err("must be a number of seconds greater than 0".into()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    Timeout,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Timeout => "TIMEOUT",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Clone, Debug)]
struct TestResult {
    status: Status,
    reason: Option<String>,
    secs: f64,
}

impl TestResult {
    fn new(status: Status, reason: Option<String>) -> Self {
        Self {
            status,
            reason,
            secs: 0.0,
        }
    }
    fn fail(reason: impl Into<String>) -> Self {
        Self::new(Status::Fail, Some(reason.into()))
    }
}

/// Names that are never tests even without an extension.
fn is_upper_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
        || matches!(name, "Makefile" | "makefile" | "GNUmakefile")
}

/// Whether a file found in a directory should be run.
fn looks_like_test(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || is_upper_name(name) {
        return false;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(ext, "o" | "a" | "so" | "ko") {
        return false;
    }
    let mut magic = [0u8; 4];
    let is_elf = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\x7fELF";
    if is_elf {
        return true;
    }
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    };
    let source_like = matches!(
        ext,
        "S" | "s" | "c" | "h" | "cc" | "cpp" | "rs" | "py" | "sh" | "pl" | "ld" | "lds" | "mk"
    );
    !source_like && (ext.is_empty() || ext == "elf" || executable)
}

/// Expands the command-line paths into test files, sorted within each directory.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Marks a directory that a recursive search skips.
const SKIP_MARKER: &str = ".xlate-test-skip";

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            if !p.join(SKIP_MARKER).exists() {
                walk(&p, out);
            }
        } else if p.is_file() && looks_like_test(&p) {
            out.push(p);
        }
    }
}

/// One test: a file, and for a Linux program with expected results, one of its cases.
struct Item {
    path: PathBuf,
    case: Option<Case>,
}

impl Item {
    /// The test's name in result lines and reports: the path, and the case when it is not
    /// named after the program.
    fn label(&self) -> String {
        let p = self.path.display().to_string();
        match &self.case {
            Some(c) if self.path.file_name() != Some(std::ffi::OsStr::new(&c.name)) => {
                format!("{p} [{}]", c.name)
            }
            _ => p,
        }
    }
}

/// Everything a worker needs to run one test.
struct Ctx {
    engine: Engine,
    jit_threshold: u32,
    timeout: Duration,
    max_instructions: u64,
    /// `--max-instructions` was given (else the limit only stands in for the clock).
    explicit_limit: bool,
    reference: Option<PathBuf>,
    machine: MachineArgs,
    exe: Option<PathBuf>,
    ld_prefix: Option<PathBuf>,
}

fn run_one(ctx: &Ctx, item: &Item) -> TestResult {
    let start = Instant::now();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        classify_and_run(ctx, &item.path, item.case.as_ref())
    }))
    .unwrap_or_else(|_| TestResult::fail("internal error (panic in xlate)"));
    TestResult {
        secs: start.elapsed().as_secs_f64(),
        ..r
    }
}

fn classify_and_run(ctx: &Ctx, path: &Path, case: Option<&Case>) -> TestResult {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => return TestResult::fail(format!("cannot read: {e}")),
    };
    let f = match parse_elf(&data) {
        Ok(f) => f,
        Err(LoadError::WrongMachine) => {
            return TestResult::new(Status::Skip, Some("not a riscv64 ELF file".into()))
        }
        Err(e) => return TestResult::fail(e.to_string()),
    };
    use object::read::elf::FileHeader;
    let hdr = f.elf_header();
    let e = object::LittleEndian;
    if hdr.e_type(e) == object::elf::ET_REL {
        return TestResult::new(Status::Skip, Some("relocatable object file".into()));
    }
    let ram_end = RAM_BASE.saturating_add(ctx.machine.ram_size << 20);
    let entry = hdr.e_entry(e);
    let bare = symbol(&f, "tohost").is_some() || (RAM_BASE..ram_end).contains(&entry);
    drop(f);
    if bare {
        run_bare_test(ctx, path, &data)
    } else {
        run_linux_test(ctx, path, case)
    }
}

fn reference_file(ctx: &Ctx, path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let name = path.file_name()?.to_string_lossy().into_owned();
    let dir = match &ctx.reference {
        Some(d) => d.clone(),
        None => path.parent()?.to_path_buf(),
    };
    [stem, name]
        .iter()
        .map(|n| dir.join(format!("{n}.reference_output")))
        .find(|p| p.is_file())
}

fn run_bare_test(ctx: &Ctx, path: &Path, data: &[u8]) -> TestResult {
    let engine = match ctx.engine {
        Engine::Interp => MachineEngine::Interp,
        Engine::Jit => MachineEngine::Jit(translator::jit::JitConfig {
            jit_threshold: ctx.jit_threshold,
            ..Default::default()
        }),
    };
    let mut m = match Machine::new(&ctx.machine.config(false, engine)) {
        Ok(m) => m,
        Err(e) => return TestResult::fail(format!("cannot start the JIT: {e}")),
    };
    if let Err(e) = m.load_elf(data) {
        return TestResult::fail(e.to_string());
    }
    let limits = Limits {
        max_instructions: ctx.max_instructions,
        deadline: Some(Instant::now() + ctx.timeout),
    };
    match m.run(limits) {
        Outcome::Pass => {}
        Outcome::Fail(n) => return TestResult::fail(format!("case {n}")),
        Outcome::Timeout => return TestResult::new(Status::Timeout, None),
        // The default limit (10^9 per second) is only a stand-in for the clock, which a fast
        // engine can beat: report it as the timeout it replaces, whatever the engine.
        Outcome::InstructionLimit if !ctx.explicit_limit => {
            return TestResult::new(Status::Timeout, None)
        }
        Outcome::InstructionLimit => {
            return TestResult::new(Status::Timeout, Some("instruction limit".into()))
        }
        Outcome::TrapLoop { pc, cause, tval } => {
            return TestResult::fail(format!(
                "trap loop at pc={pc:#x}: {} (tval={tval:#x})",
                cause_name(cause)
            ))
        }
    }
    let Some(reference) = reference_file(ctx, path) else {
        return TestResult::new(Status::Pass, None);
    };
    let expected = match std::fs::read_to_string(&reference) {
        Ok(s) => s,
        Err(e) => return TestResult::fail(format!("cannot read {}: {e}", reference.display())),
    };
    let Some(got) = m.signature(ctx.machine.signature_granularity) else {
        return TestResult::fail("reference output given but no begin_signature/end_signature");
    };
    compare_signature(&got, &expected)
}

fn compare_signature(got: &str, expected: &str) -> TestResult {
    let got: Vec<&str> = got.lines().collect();
    let exp: Vec<&str> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for (i, e) in exp.iter().enumerate() {
        match got.get(i) {
            Some(g) if g.eq_ignore_ascii_case(e) => {}
            Some(g) => {
                return TestResult::fail(format!(
                    "signature mismatch at line {}: got {g}, expected {e}",
                    i + 1
                ))
            }
            None => {
                return TestResult::fail(format!(
                    "signature has {} lines, reference {}",
                    got.len(),
                    exp.len()
                ))
            }
        }
    }
    TestResult::new(Status::Pass, None)
}

fn run_linux_test(ctx: &Ctx, path: &Path, case: Option<&Case>) -> TestResult {
    let Some(exe) = &ctx.exe else {
        return TestResult::fail("cannot find the xlate executable to run a Linux test");
    };
    let engine = ctx
        .engine
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_else(|| "interp".into());
    if let Some(case) = case {
        let run = RunCtx {
            exe,
            engine: &engine,
            jit_threshold: ctx.jit_threshold,
            timeout: ctx.timeout,
            ld_prefix: ctx.ld_prefix.as_deref(),
        };
        return match case.run(&run, path) {
            Verdict::Pass => TestResult::new(Status::Pass, None),
            Verdict::Fail(r) => TestResult::fail(r),
            Verdict::Timeout => TestResult::new(Status::Timeout, None),
            Verdict::Skip(r) => TestResult::new(Status::Skip, Some(r)),
        };
    }
    let prog = if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(".").join(path)
    };
    let child = Command::new(exe)
        .arg("run")
        .arg("--engine")
        .arg(engine)
        .arg("--jit-threshold")
        .arg(ctx.jit_threshold.to_string())
        .arg(&prog)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return TestResult::fail(format!("cannot start xlate run: {e}")),
    };
    // Read stderr on a thread so a chatty guest cannot block on a full pipe.
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stderr {
            let _ = s.by_ref().take(1 << 16).read_to_end(&mut buf);
            let _ = std::io::copy(&mut s, &mut std::io::sink());
        }
        buf
    });
    let status = match crate::test_linux::wait_until(&mut child, ctx.timeout) {
        Ok(s) => s,
        Err(e) => return TestResult::fail(e),
    };
    let err = reader.join().unwrap_or_default();
    let Some(status) = status else {
        return TestResult::new(Status::Timeout, None);
    };
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) => TestResult::new(Status::Pass, None),
        (Some(c), _) => {
            let first = String::from_utf8_lossy(&err)
                .lines()
                .find(|l| l.starts_with("xlate:"))
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            TestResult::fail(format!("exit status {c}{first}"))
        }
        (None, Some(s)) => TestResult::fail(format!("killed by signal {s}")),
        (None, None) => TestResult::fail("ended without a status"),
    }
}

fn line(label: &str, r: &TestResult) -> String {
    let reason = r
        .reason
        .as_deref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    format!("{:<7} {}{reason} ({:.3}s)", r.status.label(), label, r.secs)
}

/// `xlate test`: exit 0 when every test passed, 1 when some failed, 2 on usage errors.
pub fn test(args: TestArgs) -> ExitCode {
    let files = match collect(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("xlate: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cases = crate::test_linux::cases_for(&files);
    let mut items: Vec<Item> = Vec::new();
    for path in files {
        match cases.remove(&path) {
            Some(cs) => items.extend(cs.into_iter().map(|c| Item {
                path: path.clone(),
                case: Some(c),
            })),
            None => items.push(Item { path, case: None }),
        }
    }
    if let Some(pat) = &args.filter {
        items.retain(|i| i.label().contains(pat.as_str()));
    }
    let files = items;
    let labels: Vec<String> = files.iter().map(Item::label).collect();
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len().max(1));
    let timeout = Duration::from_secs_f64(args.timeout);
    let ctx = Arc::new(Ctx {
        engine: args.engine,
        jit_threshold: args.jit_threshold,
        timeout,
        explicit_limit: args.max_instructions.is_some(),
        max_instructions: args
            .max_instructions
            .unwrap_or((args.timeout * 1e9).min(u64::MAX as f64) as u64),
        reference: args.reference.clone(),
        machine: args.machine.clone(),
        exe: std::env::current_exe().ok(),
        ld_prefix: match &args.ld_prefix {
            Some(p) if p.as_os_str() == "none" => None,
            Some(p) => Some(p.clone()),
            None => {
                let d = PathBuf::from("/usr/riscv64-linux-gnu");
                d.is_dir().then_some(d)
            }
        },
    });
    let files = Arc::new(files);
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, TestResult)>();
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let (ctx, files, next, tx) = (ctx.clone(), files.clone(), next.clone(), tx.clone());
        workers.push(std::thread::spawn(move || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(p) = files.get(i) else { break };
            if tx.send((i, run_one(&ctx, p))).is_err() {
                break;
            }
        }));
    }
    drop(tx);

    // Print in path order as results arrive.
    let progress = std::io::stderr().is_terminal();
    let total = files.len();
    let mut pending: BTreeMap<usize, TestResult> = BTreeMap::new();
    let mut results: Vec<TestResult> = Vec::with_capacity(total);
    let mut done = 0usize;
    let stdout = std::io::stdout();
    for (i, r) in rx {
        done += 1;
        pending.insert(i, r);
        while let Some(r) = pending.remove(&results.len()) {
            if progress {
                eprint!("\r\x1b[K");
            }
            let mut out = stdout.lock();
            let _ = writeln!(out, "{}", line(&labels[results.len()], &r));
            let _ = out.flush();
            results.push(r);
        }
        if progress && done < total {
            eprint!("\r[{done}/{total}] running...");
        }
    }
    if progress {
        eprint!("\r\x1b[K");
    }
    for w in workers {
        let _ = w.join();
    }
    let count = |s: &[Status]| results.iter().filter(|r| s.contains(&r.status)).count();
    let passed = count(&[Status::Pass]);
    let failed = count(&[Status::Fail, Status::Timeout]);
    let skipped = count(&[Status::Skip]);
    let mut closing = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        let _ = write!(closing, ", {skipped} skipped");
    }
    println!("{closing}");
    if let Some(f) = &args.junit {
        if let Err(e) = std::fs::write(f, junit(&labels, &results)) {
            eprintln!("xlate: cannot write {}: {e}", f.display());
        }
    }
    if let Some(f) = &args.json {
        if let Err(e) = std::fs::write(f, json(&labels, &results, passed, failed, skipped)) {
            eprintln!("xlate: cannot write {}: {e}", f.display());
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn junit(labels: &[String], results: &[TestResult]) -> String {
    let fails = results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Timeout))
        .count();
    let skips = results.iter().filter(|r| r.status == Status::Skip).count();
    let total: f64 = results.iter().map(|r| r.secs).sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuite name=\"xlate test\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skips}\" time=\"{total:.3}\">",
        results.len()
    );
    for (p, r) in labels.iter().zip(results) {
        let name = xml_escape(p);
        let _ = write!(s, "  <testcase name=\"{name}\" time=\"{:.3}\"", r.secs);
        let msg = xml_escape(r.reason.as_deref().unwrap_or(""));
        match r.status {
            Status::Pass => s.push_str("/>\n"),
            Status::Fail => {
                let _ = writeln!(s, ">\n    <failure message=\"{msg}\"/>\n  </testcase>");
            }
            Status::Timeout => {
                let _ = writeln!(
                    s,
                    ">\n    <failure message=\"timeout{}\"/>\n  </testcase>",
                    if msg.is_empty() {
                        String::new()
                    } else {
                        format!(": {msg}")
                    }
                );
            }
            Status::Skip => {
                let _ = writeln!(s, ">\n    <skipped message=\"{msg}\"/>\n  </testcase>");
            }
        }
    }
    s.push_str("</testsuite>\n");
    s
}

fn json(
    labels: &[String],
    results: &[TestResult],
    passed: usize,
    failed: usize,
    skipped: usize,
) -> String {
    let mut s = format!(
        "{{\"passed\": {passed}, \"failed\": {failed}, \"skipped\": {skipped}, \"tests\": ["
    );
    for (i, (p, r)) in labels.iter().zip(results).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let reason = r.reason.as_deref().map_or("null".to_string(), json_escape);
        let _ = write!(
            s,
            "\n  {{\"path\": {}, \"status\": \"{}\", \"reason\": {reason}, \"time\": {:.3}}}",
            json_escape(p),
            r.status.label(),
            r.secs
        );
    }
    s.push_str("\n]}\n");
    s
}

/// `xlate run --bare PROGRAM`: runs until the program ends through HTIF. Exit status 0 on
/// pass, the failure code otherwise (1 when it is a multiple of 256), 125 when the program is
/// stuck in a trap loop, 126 when it cannot be loaded.
pub fn run_bare(path: &Path, bare: &BareArgs, engine: MachineEngine) -> ExitCode {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("xlate: {}: {e}", path.display());
            return ExitCode::from(if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            });
        }
    };
    let mut m = match Machine::new(&bare.machine.config(true, engine)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("xlate: cannot start the JIT: {e}");
            return ExitCode::from(125);
        }
    };
    if let Err(e) = m.load_elf(&data) {
        eprintln!("xlate: {}: {e}", path.display());
        return ExitCode::from(126);
    }
    let outcome = m.run(Limits {
        max_instructions: u64::MAX,
        deadline: None,
    });
    if let Some(f) = &bare.signature {
        match m.signature(bare.machine.signature_granularity) {
            Some(sig) => {
                if let Err(e) = std::fs::write(f, sig) {
                    eprintln!("xlate: cannot write {}: {e}", f.display());
                    return ExitCode::from(125);
                }
            }
            None => eprintln!(
                "xlate: {}: no begin_signature/end_signature in RAM; no signature written",
                path.display()
            ),
        }
    }
    match outcome {
        Outcome::Pass => ExitCode::SUCCESS,
        Outcome::Fail(n) => ExitCode::from(if n & 0xff == 0 { 1 } else { (n & 0xff) as u8 }),
        Outcome::TrapLoop { pc, cause, tval } => {
            eprintln!(
                "xlate: trap loop at pc={pc:#x}: {} (tval={tval:#x})",
                cause_name(cause)
            );
            ExitCode::from(125)
        }
        Outcome::Timeout | Outcome::InstructionLimit => ExitCode::from(125),
    }
}
