//! The `xlate` command line: `xlate run PROGRAM [ARGS...]` runs a riscv64 Linux program on this
//! host. Options follow qemu-user's conventions; every option has an `XLATE_*` environment twin.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

mod binfmt_cmd;
mod boot_cmd;
mod disasm_cmd;
mod gdb_cmd;
mod sandbox_args;
mod test_cmd;
mod test_linux;
mod trace_cmd;
mod verify_cmd;

use runtime::linux::{self, loader, Exit, Options, Process};
use runtime::mem::GuestMemory;
use translator::CpuState;

/// Exit status when the program cannot be executed (not an ELF, wrong machine, corrupt); the
/// loader's errors carry their own statuses (127 for a missing file).
const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status for xlate's own failures (host resources, I/O on our side).
const EXIT_INTERNAL: u8 = 125;

/// The Cranelift release the JIT is built with (pinned in Cargo.toml; a test checks it
/// against Cargo.lock).
const CRANELIFT_VERSION: &str = "0.135.8";

/// `xlate --version`: the version, the guests xlate runs and the code generator.
fn long_version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        format!(
            "{}\nguests: riscv64 Linux user mode (RV64GC + Zba/Zbb/Zbs; xlate run), riscv64 bare-metal M/S/U hart (xlate run --bare, xlate test)\nhost: x86-64 Linux\nJIT: Cranelift {CRANELIFT_VERSION}",
            env!("CARGO_PKG_VERSION")
        )
    })
}

#[derive(Parser)]
#[command(
    name = "xlate",
    version,
    long_version = long_version(),
    about = "Run programs built for another instruction set (RISC-V RV64GC Linux) on this host",
    after_help = "Examples:
  xlate run testsuites/linux/bin/hello                 run a riscv64 Linux program
  xlate run -L /usr/riscv64-linux-gnu prog args...     a dynamically linked one
  xlate run --strace --trace trap prog                 log syscalls and faults to stderr
  xlate run --profile prog                             hottest guest functions at exit
  xlate test testsuites/isa                            run conformance tests
  xlate disasm --addr main prog                        disassemble a guest function
  xlate binfmt install --dry-run                       show the binfmt_misc registration"
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
    /// Boot a RISC-V virtual machine (QEMU virt memory map): firmware, U-Boot, Linux.
    Boot(boot_cmd::BootArgs),
    /// Disassemble the code of a riscv64 ELF file (capstone), labelled with its symbols.
    Disasm(disasm_cmd::DisasmArgs),
    /// Register xlate with binfmt_misc as the handler of riscv64 ELF programs (install,
    /// uninstall, status).
    Binfmt(binfmt_cmd::BinfmtArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Engine {
    /// Cranelift JIT: hot blocks are translated to host code (cold ones are interpreted).
    Jit,
    /// The interpreter only (reference semantics).
    Interp,
}

/// Parses a size such as `64M`, `512K`, `1G` or a plain number of bytes.
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
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
#[command(after_help = "Examples:
  xlate run testsuites/linux/bin/hello
  xlate run --engine interp --stats prog               reference interpreter, with statistics
  xlate run -L /usr/riscv64-linux-gnu -E LANG=C prog   dynamic program, guest environment
  xlate run --strace-file calls.txt prog               syscall log to a file
  xlate run --trace syscall,trap --log trace.txt prog  trace categories to a file
  XLATE_LOG=xlate::syscall=info xlate run prog         the same through the tracing filter
  xlate run --profile prog                             instructions per guest function/block
  xlate run --perf-map prog; perf report               host time per guest function (perf)
  xlate run --dump-blocks blocks.txt prog              guest code, Cranelift IR, host code
  xlate run -g 1234 prog    then: gdb-multiarch prog -ex 'target remote :1234'")]
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

    /// Give the guest this argv[0] instead of the program path (like qemu's -0).
    #[arg(short = '0', long = "argv0", value_name = "ARG0", env = "XLATE_ARGV0")]
    argv0: Option<OsString>,

    #[command(flatten)]
    bare: test_cmd::BareArgs,

    #[command(flatten)]
    sandbox: sandbox_args::SandboxArgs,

    #[command(flatten)]
    tools: trace_cmd::ToolArgs,

    /// Debugging: check every entry into translated code against the interpreter (lockstep,
    /// no chaining) and stop at the first difference with a report (status 122).
    #[arg(long, env = "XLATE_VERIFY", value_parser = clap::builder::FalseyValueParser::new())]
    verify: bool,

    /// Wait for gdb on 127.0.0.1:PORT before the first instruction and serve the GDB remote
    /// protocol (`target remote :PORT`).
    #[arg(short = 'g', long = "gdb", value_name = "PORT", env = "XLATE_GDB")]
    gdb: Option<u16>,

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
    let argv: Vec<OsString> = std::env::args_os().collect();
    let argv = binfmt_cmd::binfmt_argv(&argv).unwrap_or(argv);
    let cli = match Cli::try_parse_from(argv) {
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
        Command::Boot(args) => boot_cmd::boot(args),
        Command::Disasm(args) => disasm_cmd::disasm(args),
        Command::Binfmt(args) => binfmt_cmd::binfmt(args),
    }
}

/// One line on stderr, then the status.
fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("xlate: {msg}");
    ExitCode::from(code)
}

fn guest_env(args: &RunArgs) -> Vec<Vec<u8>> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    // The debugger is for this program, not for riscv64 programs it executes.
    env.retain(|(k, _)| k.as_os_str() != "XLATE_GDB");
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
    let mut path = PathBuf::from(prog);
    let engine = match args.engine {
        Engine::Interp => linux::Engine::Interp,
        Engine::Jit => linux::Engine::Jit(translator::jit::JitConfig {
            code_cache_size: args.code_cache_size,
            jit_threshold: args.jit_threshold,
            // Cranelift's optimiser (GVN, LICM, constant folding, redundant block parameters
            // removed) costs ~17% more compile time; measured 2026-11-27 on the kit (AMD EPYC
            // host, minimum CPU time of 5 interleaved runs) it made sieve 18%, fib 14% and
            // five others 3-4% faster, hash 7% and syscall 3% slower. docs/performance-history.md.
            opt_level: translator::jit::OptLevel::Speed,
            time_split: args.stats,
            ..Default::default()
        }),
    };
    if args.verify && matches!(args.engine, Engine::Interp) {
        return fail(
            "--verify checks the JIT against the interpreter: it needs --engine jit",
            2,
        );
    }
    if args.bare.bare {
        if args.verify {
            return fail("--verify is for Linux programs, not --bare", 2);
        }
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
    let sandbox = match args.sandbox.sandbox() {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    // Under --root an absolute program path names a file inside the root when there is one
    // (as `chroot DIR /bin/sh` does); otherwise it is a host path.
    if let (Some(root), true) = (&sandbox.root, path.is_absolute()) {
        if let Ok(inside) = root.resolve_guest_exec(path.as_os_str().as_bytes()) {
            path = inside;
        }
    }
    if let Err(e) = trace_cmd::init_logging(&args.tools) {
        return fail(format_args!("{e:#}"), 2);
    }
    let opts = Options {
        // Under --root the program interpreter comes from the root unless -L says else.
        ld_prefix: args.ld_prefix.clone().or_else(|| args.sandbox.root.clone()),
        strace: args.strace || args.strace_file.is_some(),
        sandbox,
        reexec_args: reexec_args(&args),
    };
    let mem = match GuestMemory::new() {
        Ok(m) => Arc::new(m),
        Err(e) => return fail(e, EXIT_INTERNAL),
    };
    let mut proc = Process::new(mem, path.clone(), opts);
    proc.strace_out = strace_out;
    proc.verify = args.verify;
    let _watchdog = args.sandbox.apply(&mut proc);
    let mut argv: Vec<Vec<u8>> = args.program.iter().map(|a| a.clone().into_vec()).collect();
    if let (Some(a0), Some(first)) = (&args.argv0, argv.first_mut()) {
        *first = a0.clone().into_vec();
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
    if let Err(e) = sandbox_args::SandboxArgs::enter(&proc) {
        return fail(
            format_args!("cannot enter the guest root: {e}"),
            EXIT_INTERNAL,
        );
    }
    let mut cpu = CpuState {
        pc: loaded.entry,
        ..CpuState::default()
    };
    cpu.x[2] = loaded.sp;

    let start = Instant::now();
    let run = match args.gdb {
        Some(port) => gdb_cmd::run(port, proc, cpu, engine),
        None => trace_cmd::run(&args.tools, &path, loaded.load_bias, proc, cpu, engine),
    };
    let run = match run {
        Ok(r) => r,
        Err(e) => return fail(format_args!("{e:#}"), EXIT_INTERNAL),
    };
    let (exit, stats, mut proc) = match run {
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
                "xlate: stats: jit: {} blocks translated ({} guest instructions), {} by all threads, {:.1} ms compiling, {} bytes of code cache in use of {}, {} chained exits, {} entries from the dispatcher, {} memory accesses sent to the interpreter, {} accesses checked by the host MMU ({} after a gap), {} that faulted there ({} after a gap), {} divisions specialised for their divisor, {} switches translated to tables, {} floating-point slow paths run in the interpreter, {} regions translated again (switches, floating point), {} blocks run interpreted, {} compile failures",
                j.blocks_translated,
                j.insns_translated,
                stats.process_translations,
                j.compile_ns as f64 / 1e6,
                stats.code_cache.0,
                stats.code_cache.1,
                j.chained_exits,
                j.jit_entries,
                j.slow_exits,
                j.host_checked,
                j.host_gaps,
                translator::jit::fault::landed(),
                translator::jit::fault::landed_after_gap(),
                j.divisions_specialised,
                j.switch_tables,
                j.fp_exits,
                j.retranslations,
                j.interp_blocks,
                j.compile_failures
            );
            eprintln!("xlate: stats: jit: {}", jit_detail(&j, secs));
            if args.verify {
                eprintln!(
                    "xlate: stats: verify: {} entries into translated code checked against the interpreter, {} not checked",
                    j.verified, j.verify_skipped
                );
            }
        }
    }
    if let Some(m) = proc.verify_report.take() {
        let symbols = trace_cmd::guest_symbols(&path, loaded.load_bias);
        let _ = std::io::stdout().flush();
        eprint!("{}", verify_cmd::report(&m, &symbols));
        return ExitCode::from(linux::VERIFY_EXIT as u8);
    }
    match exit {
        Exit::Code(c) => ExitCode::from((c & 0xff) as u8),
        Exit::Signal(signo) => die_by_signal(signo),
        Exit::Limit(hit) => sandbox_args::limit_exit(hit),
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
    if args.verify {
        v.push("--verify".into());
    }
    // The sandbox carries over to the new program (which execve resolved inside the root).
    if let Some(r) = &args.sandbox.root {
        v.push("--root".into());
        v.push(
            std::fs::canonicalize(r)
                .unwrap_or_else(|_| r.clone())
                .into(),
        );
    }
    if let Some(m) = args.sandbox.max_memory {
        v.push("--max-memory".into());
        v.push(m.to_string().into());
    }
    if args.sandbox.read_only {
        v.push("--read-only".into());
    }
    if args.sandbox.no_network {
        v.push("--no-network".into());
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

/// The second `--stats` line of the JIT: the dispatcher's cache lookups, pages whose code
/// was invalidated (whole flushes are on the first line), and where the main thread's `wall`
/// seconds went.
fn jit_detail(j: &translator::jit::JitStats, wall: f64) -> String {
    let s = |ns: u64| ns as f64 / 1e9;
    let (jit, interp, compile) = (s(j.jit_ns), s(j.interp_ns), s(j.compile_ns));
    format!(
        "{} dispatcher lookups found in the jump cache, {} in the block map, {} computed jumps of translated code that missed its inline lookup, {} page invalidations; time: {jit:.3} s in translated code, {interp:.3} s interpreting, {compile:.3} s compiling, {:.3} s elsewhere (system calls, the dispatcher)",
        j.jc_hits,
        j.jc_misses,
        j.lookup_exits,
        j.invalidations,
        (wall - jit - interp - compile).max(0.0),
    )
}
