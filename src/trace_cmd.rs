//! `xlate run`'s debugging options: `--trace` categories and `--log` (the `tracing` crate,
//! filtered by `XLATE_LOG` as `RUST_LOG` filters), `--perf-map` (the perf JIT map format,
//! `/tmp/perf-PID.map`: one `START SIZE NAME` line per translated block, hex without 0x),
//! `--profile` (instructions retired per guest function and block, printed at exit) and
//! `--dump-blocks FILE` (guest code, Cranelift IR and x86-64 code of every translated block).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use capstone::Capstone;
use runtime::linux::{self, Exit, Process, RunStats};
use runtime::trace::{self, Control, Tracer};
use translator::jit::{BlockObserver, JitError, TranslatedBlock};
use translator::CpuState;

use crate::disasm_cmd;

#[derive(clap::Args, Default)]
pub struct ToolArgs {
    /// Trace guest events to stderr (or --log FILE), a comma list of: exec (every instruction),
    /// block (every block entered), syscall, mmio (system mode devices), trap (faults), all.
    #[arg(long, value_name = "LIST", env = "XLATE_TRACE", value_parser = parse_trace)]
    pub trace: Option<u32>,

    /// Write --trace and XLATE_LOG output to FILE instead of stderr.
    #[arg(long = "log", value_name = "FILE", env = "XLATE_LOG_FILE")]
    pub log: Option<PathBuf>,

    /// Write /tmp/perf-PID.map naming every translated block after its guest function, for
    /// `perf report`.
    #[arg(long, env = "XLATE_PERF_MAP", value_parser = clap::builder::FalseyValueParser::new())]
    pub perf_map: bool,

    /// Print the guest functions and blocks that retired the most instructions, at exit
    /// (to stderr).
    #[arg(long, env = "XLATE_PROFILE", value_parser = clap::builder::FalseyValueParser::new())]
    pub profile: bool,

    /// Write each translated block's guest instructions, Cranelift IR and host code to FILE.
    #[arg(long, value_name = "FILE", env = "XLATE_DUMP_BLOCKS")]
    pub dump_blocks: Option<PathBuf>,
}

fn parse_trace(s: &str) -> Result<u32, String> {
    trace::parse(s)
}

/// Sets up the `tracing` subscriber when `--trace` or `XLATE_LOG` asks for one: events to
/// stderr or `--log FILE`, never stdout.
pub fn init_logging(args: &ToolArgs) -> Result<()> {
    let cats = args.trace.unwrap_or(0);
    let env = std::env::var("XLATE_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty());
    if cats == 0 && env.is_none() {
        return Ok(());
    }
    let mut directives: Vec<String> = trace::CATEGORIES
        .iter()
        .filter(|c| cats & c.1 != 0)
        .map(|c| format!("{}=trace", c.2))
        .collect();
    if let Some(e) = &env {
        directives.push(e.clone());
    }
    let filter = tracing_subscriber::EnvFilter::try_new(directives.join(","))
        .map_err(|e| anyhow!("bad XLATE_LOG filter: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .without_time()
        .with_level(false)
        .with_ansi(false);
    let res = match &args.log {
        Some(f) => {
            let file = std::fs::File::create(f)
                .with_context(|| format!("cannot create log file {}", f.display()))?;
            builder.with_writer(Mutex::new(file)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    res.map_err(|e| anyhow!("cannot set up logging: {e}"))?;
    // Categories named only through XLATE_LOG are on when the filter lets their events through.
    let mut bits = cats;
    for (_, bit, target) in trace::CATEGORIES {
        let on = match *target {
            "xlate::exec" => tracing::enabled!(target: "xlate::exec", tracing::Level::INFO),
            "xlate::block" => tracing::enabled!(target: "xlate::block", tracing::Level::INFO),
            "xlate::syscall" => {
                tracing::enabled!(target: "xlate::syscall", tracing::Level::INFO)
            }
            "xlate::mmio" => tracing::enabled!(target: "xlate::mmio", tracing::Level::INFO),
            _ => tracing::enabled!(target: "xlate::trap", tracing::Level::INFO),
        };
        if on {
            bits |= bit;
        }
    }
    trace::enable(bits);
    Ok(())
}

/// Whether any option here needs the run to be watched.
pub fn active(args: &ToolArgs) -> bool {
    trace::enabled() & (trace::EXEC | trace::BLOCK) != 0
        || args.perf_map
        || args.profile
        || args.dump_blocks.is_some()
}

/// Guest symbols (address -> name), relocated by the load bias.
pub type Symbols = BTreeMap<u64, String>;

/// The observer behind `--perf-map` and `--dump-blocks`.
struct Observer {
    symbols: Arc<Symbols>,
    perf: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    dump: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    riscv: Option<Mutex<SendCs>>,
    x86: Option<Mutex<SendCs>>,
    own: disasm_cmd::OwnDecoder,
}

/// A capstone handle that may move to another thread.
struct SendCs(Capstone);

// SAFETY: a capstone handle is an owned C object (`cs_open`) with no thread affinity; it only
// must not be used by two threads at once, which the `Mutex` around every `SendCs` ensures.
unsafe impl Send for SendCs {}

fn name_of(symbols: &Symbols, pc: u64) -> String {
    disasm_cmd::symbolize(symbols, pc).unwrap_or_else(|| format!("guest_{pc:#x}"))
}

impl BlockObserver for Observer {
    fn want_ir(&self) -> bool {
        self.dump.is_some()
    }
    fn translated(&self, b: &TranslatedBlock) {
        let name = name_of(&self.symbols, b.guest_pc);
        if let Some(p) = &self.perf {
            if let Ok(mut w) = p.lock() {
                let _ = writeln!(w, "{:x} {:x} {name}", b.host_addr, b.host_code.len());
            }
        }
        if let Some(d) = &self.dump {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "==== block {:#x} <{name}>: {} guest instructions, {} bytes of host code at {:#x}",
                b.guest_pc,
                b.guest_insns,
                b.host_code.len(),
                b.host_addr
            );
            s.push_str("---- guest (riscv64)\n");
            if let Some(cs) = self.riscv.as_ref().and_then(|c| c.lock().ok()) {
                for &(pc, bits, len) in b.insns {
                    let bytes = bits.to_le_bytes();
                    disasm_cmd::dis_one(
                        &cs.0,
                        &self.own,
                        &bytes[..usize::from(len)],
                        pc,
                        &self.symbols,
                        &mut s,
                    );
                }
            }
            s.push_str("---- cranelift ir\n");
            s.push_str(b.ir.unwrap_or("(not available)"));
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str("---- host (x86-64)\n");
            if let Some(cs) = self.x86.as_ref().and_then(|c| c.lock().ok()) {
                crate::disasm_cmd::write_host_code(&cs.0, b.host_code, b.host_addr as u64, &mut s);
            }
            s.push('\n');
            if let Ok(mut w) = d.lock() {
                let _ = w.write_all(s.as_bytes());
            }
        }
    }
}

impl Observer {
    fn flush(&self) {
        for w in [&self.perf, &self.dump].into_iter().flatten() {
            if let Ok(mut w) = w.lock() {
                let _ = w.flush();
            }
        }
    }
}

/// Loads the guest program's symbols for naming (empty when it has none).
pub fn guest_symbols(path: &Path, bias: u64) -> Symbols {
    disasm_cmd::code_symbols(path)
        .map(|m| {
            m.into_iter()
                .map(|(a, n)| (a.wrapping_add(bias), n))
                .collect()
        })
        .unwrap_or_default()
}

/// Path of the perf map of this process.
pub fn perf_map_path() -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
}

/// Runs the guest like `linux::run`, with the tools the options ask for.
pub fn run(
    args: &ToolArgs,
    program: &Path,
    load_bias: u64,
    proc: Process,
    cpu: CpuState,
    engine: linux::Engine,
) -> Result<Result<(Exit, RunStats, Process), JitError>> {
    if !active(args) {
        return Ok(linux::run(proc, cpu, engine));
    }
    let symbols = Arc::new(guest_symbols(program, load_bias));
    let create = |p: &Path| -> Result<Mutex<std::io::BufWriter<std::fs::File>>> {
        let f =
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
        Ok(Mutex::new(std::io::BufWriter::new(f)))
    };
    let observer = if args.perf_map || args.dump_blocks.is_some() {
        let dump = args.dump_blocks.as_deref().map(create).transpose()?;
        Some(Arc::new(Observer {
            symbols: symbols.clone(),
            perf: if args.perf_map {
                Some(create(&perf_map_path())?)
            } else {
                None
            },
            riscv: if dump.is_some() {
                Some(Mutex::new(SendCs(disasm_cmd::riscv_capstone()?)))
            } else {
                None
            },
            x86: if dump.is_some() {
                Some(Mutex::new(SendCs(disasm_cmd::x86_capstone()?)))
            } else {
                None
            },
            dump,
            own: disasm_cmd::OwnDecoder::new(),
        }))
    } else {
        None
    };
    let mut tracer = Tracer::new(
        args.profile,
        observer.clone().map(|o| o as Arc<dyn BlockObserver>),
    );
    let r = linux::run_controlled(proc, cpu, engine, Some(&mut tracer as &mut dyn Control));
    if let Some(o) = &observer {
        o.flush();
    }
    if let (Some(p), Ok((_, stats, _))) = (&tracer.profile, &r) {
        eprint!("{}", profile_report(p, &symbols, stats.instructions));
    }
    Ok(r)
}

/// The `--profile` report: the ten hottest functions and blocks by instructions retired.
pub fn profile_report(blocks: &HashMap<u64, u64>, symbols: &Symbols, total: u64) -> String {
    let mut funcs: HashMap<String, u64> = HashMap::new();
    for (&pc, &n) in blocks {
        let f = match symbols.range(..=pc).next_back() {
            Some((_, name)) => name.clone(),
            None => "(unknown)".to_string(),
        };
        *funcs.entry(f).or_insert(0) += n;
    }
    let pct = |n: u64| n as f64 * 100.0 / total.max(1) as f64;
    let mut s = format!("xlate: profile: {total} guest instructions retired\n");
    s.push_str("xlate: profile: hottest functions (instructions, share):\n");
    let mut fv: Vec<_> = funcs.into_iter().collect();
    fv.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (name, n) in fv.iter().take(10) {
        let _ = writeln!(s, "xlate: profile: {n:>12} {:6.2}%  {name}", pct(*n));
    }
    s.push_str("xlate: profile: hottest blocks (instructions, share):\n");
    let mut bv: Vec<_> = blocks.iter().collect();
    bv.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (pc, n) in bv.iter().take(10) {
        let _ = writeln!(
            s,
            "xlate: profile: {n:>12} {:6.2}%  {:#x} <{}>",
            pct(**n),
            pc,
            name_of(symbols, **pc)
        );
    }
    s
}
