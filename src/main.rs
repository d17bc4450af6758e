//! The `xlate` command line: `xlate run PROGRAM [ARGS...]` runs a riscv64 Linux program on this
//! host. Options follow qemu-user's conventions; every option has an `XLATE_*` environment twin.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

mod test_cmd;

use runtime::linux::{self, loader, Exit, Options, Process};
use runtime::mem::GuestMemory;
use translator::CpuState;

/// Exit status when the program cannot be executed (not an ELF, wrong machine, corrupt); the
/// loader's errors carry their own statuses (127 for a missing file).
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status for xlate's own failures (host resources, I/O on our side).
const EXIT_INTERNAL: u8 = 125;

#[derive(Parser)]
#[command(
    name = "xlate",
    version,
    about = "Run programs built for another instruction set (RISC-V RV64GC Linux) on this host"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a riscv64 Linux program: options stop at the program name.
    Run(RunArgs),
    /// Run ISA conformance tests (bare-metal riscv-tests and riscv-arch-test ELFs, Linux test
    /// programs) and report which pass.
    Test(test_cmd::TestArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Engine {
    /// Cranelift JIT: hot blocks are translated to host code (cold ones are interpreted).
    Jit,
    /// The interpreter only (reference semantics).
    Interp,
}

/// Parses a size such as `64M`, `512K`, `1G` or a plain number of bytes.
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: usize = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix '{c}' (use K, M or G)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: usize = num.parse().map_err(|_| format!("'{s}' is not a size"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))
}

#[derive(clap::Args)]
struct RunArgs {
    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit", env = "XLATE_ENGINE")]
    engine: Engine,

    /// JIT: translate a block once it has run this many times in the interpreter.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        env = "XLATE_JIT_THRESHOLD"
    )]
    jit_threshold: u32,

    /// JIT: size of the translated-code cache (flushed whole when full), e.g. 64M.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size, env = "XLATE_CODE_CACHE_SIZE")]
    code_cache_size: usize,

    /// Look up the program interpreter (and absolute library paths) under DIR, like qemu's -L.
    #[arg(
        short = 'L',
        long = "ld-prefix",
        value_name = "DIR",
        env = "XLATE_LD_PREFIX"
    )]
    ld_prefix: Option<PathBuf>,

    /// Log every system call with its arguments and result to stderr.
    #[arg(long, env = "XLATE_STRACE", value_parser = clap::builder::FalseyValueParser::new())]
    strace: bool,

    /// Write the --strace log to FILE instead of stderr (implies --strace).
    #[arg(long, value_name = "FILE", env = "XLATE_STRACE_FILE")]
    strace_file: Option<PathBuf>,

    /// Print statistics (instructions retired, time, MIPS) to stderr when the guest exits.
    #[arg(long, env = "XLATE_STATS", value_parser = clap::builder::FalseyValueParser::new())]
    stats: bool,

    /// Set VAR=VALUE in the guest's environment (repeatable).
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    set_env: Vec<String>,

    /// Remove VAR from the guest's environment (repeatable).
    #[arg(short = 'U', value_name = "VAR")]
    unset_env: Vec<String>,

    /// The guest's argv[0], when it is not PROGRAM (an execve of a riscv64 program passes it).
    #[arg(long, value_name = "NAME")]
    argv0: Option<OsString>,

    #[command(flatten)]
    bare: test_cmd::BareArgs,

    /// The riscv64 program, followed by its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM [ARGS]..."
    )]
    program: Vec<OsString>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors are one line plus
            // clap's usage hint, status 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
        Command::Test(args) => test_cmd::test(args),
    }
}

/// One line on stderr, then the status.
fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("xlate: {msg}");
    ExitCode::from(code)
}

fn guest_env(args: &RunArgs) -> Vec<Vec<u8>> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for u in &args.unset_env {
        env.retain(|(k, _)| k.as_os_str() != u.as_str());
    }
    for s in &args.set_env {
        let (k, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
        env.retain(|(ek, _)| ek.as_os_str() != k);
        env.push((k.into(), v.into()));
    }
    env.into_iter()
        .map(|(k, v)| {
            let mut b = k.into_vec();
            b.push(b'=');
            b.extend(v.into_vec());
            b
        })
        .collect()
}

fn run(args: RunArgs) -> ExitCode {
    let Some((prog, _)) = args.program.split_first() else {
        return fail("no program given", 2);
    };
    // clap lets the program slot take hyphen values (everything after the program belongs to
    // the guest), so an unknown option in front of the program lands here.
    if prog
        .to_str()
        .is_some_and(|p| p.starts_with('-') && p != "-")
    {
        return fail(
            format_args!(
                "unexpected option '{}' (see 'xlate run --help'; options go before the program)",
                prog.to_string_lossy()
            ),
            2,
        );
    }
    let path = PathBuf::from(prog);
    let engine = match args.engine {
        Engine::Interp => linux::Engine::Interp,
        Engine::Jit => linux::Engine::Jit(translator::jit::JitConfig {
            code_cache_size: args.code_cache_size,
            jit_threshold: args.jit_threshold,
            ..Default::default()
        }),
    };
    if args.bare.bare {
        return test_cmd::run_bare(&path, &args.bare, engine);
    }
    let strace_out: Option<Box<dyn Write + Send>> = match &args.strace_file {
        Some(f) => match std::fs::File::create(f) {
            Ok(file) => Some(Box::new(std::io::BufWriter::new(file))),
            Err(e) => {
                return fail(
                    format_args!("cannot create strace file {}: {e}", f.display()),
                    EXIT_INTERNAL,
                )
            }
        },
        None => None,
    };
    let opts = Options {
        ld_prefix: args.ld_prefix.clone(),
        strace: args.strace || args.strace_file.is_some(),
        reexec_args: reexec_args(&args),
    };
    let mem = match GuestMemory::new() {
        Ok(m) => Arc::new(m),
        Err(e) => return fail(e, EXIT_INTERNAL),
    };
    let mut proc = Process::new(mem, path.clone(), opts);
    proc.strace_out = strace_out;
    let mut argv: Vec<Vec<u8>> = args.program.iter().map(|a| a.clone().into_vec()).collect();
    if let Some(a0) = &args.argv0 {
        argv[0] = a0.clone().into_vec();
    }
    let envp = guest_env(&args);
    let loaded = match loader::load(&mut proc, &path, &argv, &envp) {
        Ok(l) => l,
        Err(e) => {
            return fail(
                &e,
                u8::try_from(e.exit_code()).unwrap_or(EXIT_CANNOT_EXECUTE),
            )
        }
    };
    let mut cpu = CpuState {
        pc: loaded.entry,
        ..CpuState::default()
    };
    cpu.x[2] = loaded.sp;

    let start = Instant::now();
    let (exit, stats, mut proc) = match linux::run(proc, cpu, engine) {
        Ok(r) => r,
        Err(e) => return fail(format_args!("cannot start the JIT: {e}"), EXIT_INTERNAL),
    };
    let wall = start.elapsed();
    if let Some(out) = proc.strace_out.as_mut() {
        let _ = out.flush();
    }
    if args.stats {
        let secs = wall.as_secs_f64();
        let engine = match args.engine {
            Engine::Jit => "jit",
            Engine::Interp => "interp",
        };
        eprintln!(
            "xlate: stats: engine {engine}, {} guest instructions, {:.3} s wall, {:.1} MIPS, {} syscalls, {} blocks decoded by the interpreter, {} code flushes",
            stats.instructions,
            secs,
            stats.instructions as f64 / secs.max(1e-9) / 1e6,
            stats.syscalls,
            stats.blocks_decoded,
            stats.code_flushes
        );
        if let Some(j) = stats.jit {
            eprintln!(
                "xlate: stats: jit: {} blocks translated ({} guest instructions), {:.1} ms compiling, {} bytes of code cache in use of {}, {} chained exits, {} entries from the dispatcher, {} blocks run interpreted, {} compile failures",
                j.blocks_translated,
                j.insns_translated,
                j.compile_ns as f64 / 1e6,
                stats.code_cache.0,
                stats.code_cache.1,
                j.chained_exits,
                j.jit_entries,
                j.interp_blocks,
                j.compile_failures
            );
        }
    }
    match exit {
        Exit::Code(c) => ExitCode::from((c & 0xff) as u8),
        Exit::Signal(signo) => die_by_signal(signo),
    }
}

/// The options an execve'd riscv64 program runs with: the same engine and settings (the
/// `--strace-file` log is not shared; the new program logs to stderr when tracing).
fn reexec_args(args: &RunArgs) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec![
        "--engine".into(),
        match args.engine {
            Engine::Jit => "jit",
            Engine::Interp => "interp",
        }
        .into(),
        "--jit-threshold".into(),
        args.jit_threshold.to_string().into(),
        "--code-cache-size".into(),
        args.code_cache_size.to_string().into(),
    ];
    if let Some(l) = &args.ld_prefix {
        v.push("-L".into());
        v.push(l.clone().into_os_string());
    }
    if args.strace {
        v.push("--strace".into());
    }
    v
}

/// Ends xlate with the guest's fatal signal so the shell sees 128+N, like the guest would.
/// Core dumps are disabled first: a core of the reserved guest region would be enormous.
fn die_by_signal(signo: i32) -> ExitCode {
    let _ = std::io::stdout().flush();
    // SAFETY: plain libc calls on this process: disable core dumps, restore the default action
    // for `signo`, unblock it and raise it. If it does not end the process (it is ignored by
    // default, say), fall through to exiting with 128+N.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signo, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signo);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signo);
    }
    ExitCode::from((128 + signo).clamp(0, 255) as u8)
}
