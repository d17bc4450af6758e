//! Observing and controlling a guest run, for the debugging tools: trace categories
//! (`--trace exec,block,syscall,mmio,trap`, like qemu's `-d`) emitted as `tracing` events with
//! targets `xlate::exec`, `xlate::block`, ..., the [`Control`] hook through which the
//! execution loop runs guest code when a tool watches (tracer, profiler, GDB stub), and a
//! one-instruction stepper built on the shared decode table.
//!
//! Events go wherever the program's `tracing` subscriber sends them (the CLI: stderr or
//! `--log FILE`, never stdout, which belongs to the guest). Each category is gated by one
//! relaxed atomic load, so a run without tracing pays nothing measurable.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use translator::decode::{DecodeError, Table};
use translator::interp::{run_block, Block, Interp};
use translator::jit::BlockObserver;
use translator::{CpuState, Exception};

use crate::linux::{Exit, Process};

/// Every instruction executed: address, bits and name (runs one instruction at a time).
pub const EXEC: u32 = 1;
/// Every block entered: address and instructions retired so far.
pub const BLOCK: u32 = 2;
/// Every system call: number, arguments and result.
pub const SYSCALL: u32 = 4;
/// Device register accesses (system mode; user mode has no devices).
pub const MMIO: u32 = 8;
/// Exceptions other than system calls (faults, illegal instructions, breakpoints).
pub const TRAP: u32 = 16;

/// The category names, as `--trace` takes them, with their bits and `tracing` targets.
pub const CATEGORIES: &[(&str, u32, &str)] = &[
    ("exec", EXEC, "xlate::exec"),
    ("block", BLOCK, "xlate::block"),
    ("syscall", SYSCALL, "xlate::syscall"),
    ("mmio", MMIO, "xlate::mmio"),
    ("trap", TRAP, "xlate::trap"),
];

static ENABLED: AtomicU32 = AtomicU32::new(0);

/// Parses a comma-separated category list (`exec,syscall`; `all` for every one).
pub fn parse(list: &str) -> Result<u32, String> {
    let mut bits = 0;
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            bits |= CATEGORIES.iter().fold(0, |a, c| a | c.1);
            continue;
        }
        match CATEGORIES.iter().find(|c| c.0 == name) {
            Some(c) => bits |= c.1,
            None => {
                let names: Vec<&str> = CATEGORIES.iter().map(|c| c.0).collect();
                return Err(format!(
                    "unknown trace category '{name}' (use {} or all)",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(bits)
}

/// Turns on the categories in `bits` (process-wide).
pub fn enable(bits: u32) {
    ENABLED.fetch_or(bits, Ordering::Relaxed);
}

/// Whether category `bit` is on.
#[inline(always)]
pub fn on(bit: u32) -> bool {
    ENABLED.load(Ordering::Relaxed) & bit != 0
}

/// The categories that are on.
pub fn enabled() -> u32 {
    ENABLED.load(Ordering::Relaxed)
}

/// Before a system call is handled (the execution loop calls this).
#[inline]
pub fn syscall_enter(cpu: &CpuState) {
    if on(SYSCALL) {
        let x = &cpu.x;
        tracing::info!(
            target: "xlate::syscall",
            "pc={:#x} nr={} args=({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})",
            cpu.pc, x[17], x[10], x[11], x[12], x[13], x[14], x[15]
        );
    }
}

/// After a system call returned (not called for exit and exit_group).
#[inline]
pub fn syscall_exit(cpu: &CpuState) {
    if on(SYSCALL) {
        tracing::info!(
            target: "xlate::syscall",
            "nr={} = {}",
            cpu.x[17],
            cpu.x[10] as i64
        );
    }
}

/// A synchronous exception that is not a system call, and the signal it raises.
#[inline]
pub fn trap(cpu: &CpuState, e: &Exception, signo: i32) {
    if on(TRAP) {
        tracing::info!(
            target: "xlate::trap",
            "pc={:#x} cause={:?} tval={:#x} signal={} instret={}",
            cpu.pc,
            e.cause,
            e.tval,
            signo,
            cpu.instret
        );
    }
}

/// The engine's own run function, as a [`Control`] is given it: runs guest code until an
/// exception or until at least `budget` instructions retired (at a block boundary).
pub type RunFn<'a> = dyn FnMut(&mut Interp<Process>, u64) -> Result<(), Exception> + 'a;

/// A tool that watches or steers the run. The execution loop calls [`Control::step`] where it
/// would call the engine; `step` calls `run` (or steps instructions itself) and returns what
/// the engine returned: an exception (a system call, a fault) or `Ok` to be called again.
pub trait Control {
    fn step(&mut self, m: &mut Interp<Process>, run: &mut RunFn) -> Result<(), Exception>;
    /// An observer to install in the JIT, if any.
    fn block_observer(&self) -> Option<Arc<dyn BlockObserver>> {
        None
    }
    /// The process ended.
    fn exited(&mut self, m: &mut Interp<Process>, exit: Exit) {
        let _ = (m, exit);
    }
}

/// Executes exactly one instruction at `cpu.pc` (decoded afresh with the shared table), with
/// the semantics and exception reporting of the engines: on an exception `cpu.pc` stays at the
/// instruction and `instret` is unchanged.
pub struct Stepper {
    table: Table<Interp<Process>>,
}

impl Default for Stepper {
    fn default() -> Self {
        Self::new()
    }
}

impl Stepper {
    pub fn new() -> Self {
        Self {
            table: translator::riscv::table(),
        }
    }

    /// Runs one instruction; logs it under `exec` tracing.
    pub fn step(&self, m: &mut Interp<Process>) -> Result<(), Exception> {
        // Stepping decodes every time, so pending code-change notifications need no flush.
        use translator::interp::Env;
        m.env.take_code_flush();
        let pc = m.cpu.pc;
        let lo = m.env.fetch16(pc)?;
        let env = &mut m.env;
        let d = match self.table.decode(lo, || env.fetch16(pc.wrapping_add(2))) {
            Ok(d) => d,
            Err(DecodeError::Fetch(e)) => return Err(e),
        };
        if on(EXEC) {
            let bits = d.insn.bits();
            let width = usize::from(d.insn.len) * 2;
            tracing::info!(
                target: "xlate::exec",
                "{pc:#x}: {bits:0width$x} {} (instret {})",
                d.name,
                m.cpu.instret
            );
        }
        run_block(m, &Block::single(pc, d))
    }
}

/// The [`Control`] for `--trace exec|block` and `--profile`: instruction stepping for `exec`,
/// one block per engine call for `block` and the profile (so every block entry is seen, with
/// the instructions it retired), otherwise the engine runs freely.
pub struct Tracer {
    stepper: Option<Stepper>,
    per_block: bool,
    /// Instructions retired per block start address (`--profile`).
    pub profile: Option<std::collections::HashMap<u64, u64>>,
    observer: Option<Arc<dyn BlockObserver>>,
}

impl Tracer {
    /// A tracer for the enabled categories; `profile` counts instructions per block.
    pub fn new(profile: bool, observer: Option<Arc<dyn BlockObserver>>) -> Self {
        Self {
            stepper: on(EXEC).then(Stepper::new),
            per_block: on(BLOCK) || profile,
            profile: profile.then(Default::default),
            observer,
        }
    }
}

impl Control for Tracer {
    fn step(&mut self, m: &mut Interp<Process>, run: &mut RunFn) -> Result<(), Exception> {
        let pc = m.cpu.pc;
        let before = m.cpu.instret;
        if on(BLOCK) {
            tracing::info!(target: "xlate::block", "{pc:#x} (instret {before})");
        }
        let r = match &self.stepper {
            Some(s) => s.step(m),
            None if self.per_block => run(m, 1),
            None => run(m, u64::MAX),
        };
        if let Some(p) = &mut self.profile {
            let n = m.cpu.instret - before;
            if n > 0 {
                *p.entry(pc).or_insert(0) += n;
            }
        }
        r
    }
    fn block_observer(&self) -> Option<Arc<dyn BlockObserver>> {
        self.observer.clone()
    }
}
