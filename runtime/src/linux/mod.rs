//! Linux user mode for riscv64 guests: the process (memory layout, brk, mmap area, syscall
//! state), the environment the engines run in, and the execution loop that turns exits into
//! syscalls and signals (Linux riscv64 user ABI).

pub mod jail;
pub mod loader;
mod procfs;
mod procs;
pub mod signal;
pub mod syscall;
pub mod threads;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use translator::emit::{AmoOp, CsrOp, Width};
use translator::interp::{Env, Interp, InterpEngine};
use translator::jit::{JitEngine, JitError, SharedCode};
use translator::{Cause, CpuState, Exception};

use crate::mem::{GuestMemory, MemView};

/// Highest guest stack address (exclusive): the top of the Sv39 user half, less a guard page.
pub const STACK_TOP: u64 = crate::mem::GUEST_SPACE - crate::mem::PAGE_SIZE;
/// Size reserved for the main thread's stack (RLIMIT_STACK default).
pub const STACK_SIZE: u64 = 8 << 20;
/// Load address of position-independent executables (ELF_ET_DYN_BASE, 2/3 of the space).
pub const PIE_BASE: u64 = (crate::mem::GUEST_SPACE / 3 * 2) & !0xffff;
/// mmap allocations go top-down from here (below the stack and its gap).
pub const MMAP_TOP: u64 = STACK_TOP - STACK_SIZE - (1 << 30);
/// Lowest address mmap hands out without MAP_FIXED (vm.mmap_min_addr).
pub const MMAP_MIN: u64 = 0x10000;

/// Options that shape a process, from the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Prefix for the program interpreter and absolute library paths (`-L`).
    pub ld_prefix: Option<PathBuf>,
    /// Log every syscall to this sink (`--strace`).
    pub strace: bool,
    /// `--root`, `--read-only`, `--no-network` (see `jail`).
    pub sandbox: jail::Sandbox,
    /// The `xlate run` options that an execve of another riscv64 program passes on to the
    /// translator it runs (engine, -L, ...), in command-line form.
    pub reexec_args: Vec<std::ffi::OsString>,
}

/// How a guest process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// exit/exit_group with this status (low 8 bits as the shell sees them).
    Code(i32),
    /// Killed by this signal number (default action of a fatal signal).
    Signal(i32),
    /// Stopped by xlate: a `--max-instructions` or `--timeout` limit was reached.
    Limit(crate::limits::LimitHit),
}

/// A guest Linux process: its memory and everything the syscall layer keeps.
pub struct Process {
    pub mem: Arc<GuestMemory>,
    /// `mem`'s hot-path view (loads and stores without chasing the `Arc`).
    view: MemView,
    /// Start of the heap (end of the executable's bss, page aligned) and current break.
    pub brk_start: u64,
    pub brk: u64,
    /// Host path of the running executable (for /proc/self/exe and AT_EXECFN).
    pub exe_path: PathBuf,
    pub opts: Options,
    /// Where `--strace` lines go (stderr unless `--strace-file`).
    pub strace_out: Option<Box<dyn Write + Send>>,
    /// The auxiliary vector given to the guest (for /proc/self/auxv).
    pub auxv: Vec<(u64, u64)>,
    /// Syscall-layer state: descriptors, signal dispositions, thread ids...
    pub sys: syscall::SysState,
    pub start: Instant,
    /// Set when the process has exited.
    pub exit: Option<Exit>,
    /// `--max-instructions` / `--timeout` (see `crate::limits`).
    pub limits: crate::limits::RunLimits,
    /// This thread's box of caught signals (see `signal::SigBox`).
    pub sigbox: &'static signal::SigBox,
    /// The thread group, once the process has more than one thread (see `threads`).
    pub group: Option<Arc<threads::Group>>,
    /// The engine this thread runs on (new threads get one like it).
    pub engine: Option<Engine>,
    /// The JIT's translated code, shared by the engines of all threads (JIT only).
    pub jit_code: Option<Arc<SharedCode<Process>>>,
    /// Set by `exit` in a thread that is not the last one: only this thread ends.
    pub thread_exit: bool,
    /// The group's code generation this thread's engine has caught up with.
    code_gen_seen: u64,
    /// Instructions of this thread already added to the group's count.
    instret_reported: u64,
    /// This thread's engine must drop its code (its own fence.i / riscv_flush_icache).
    local_flush: bool,
    /// The 64-byte lines of guest code this thread's engine decoded since its last flush
    /// (another thread's riscv_flush_icache or unmapping flushes it only if they meet).
    code_lines: std::collections::HashSet<u64>,
    last_line: u64,
    /// `--verify`: the JIT checks each entry into translated code against the interpreter
    /// (while the process has one thread; see `translator::jit::verify`).
    pub verify: bool,
    /// The first difference `--verify` found; the run then ends (status `VERIFY_EXIT`).
    pub verify_report: Option<Box<translator::jit::verify::Mismatch>>,
}

/// Exit status of a run that `--verify` stopped at a difference between the engines.
pub const VERIFY_EXIT: i32 = 122;

impl Process {
    pub fn new(mem: Arc<GuestMemory>, exe_path: PathBuf, opts: Options) -> Self {
        Self {
            view: mem.view(),
            mem,
            brk_start: 0,
            brk: 0,
            exe_path,
            opts,
            strace_out: None,
            auxv: Vec::new(),
            sys: syscall::SysState::default(),
            start: Instant::now(),
            exit: None,
            limits: Default::default(),
            sigbox: &signal::MAIN_BOX,
            group: None,
            engine: None,
            jit_code: None,
            thread_exit: false,
            code_gen_seen: 0,
            instret_reported: 0,
            local_flush: false,
            code_lines: Default::default(),
            last_line: u64::MAX,
            verify: false,
            verify_report: None,
        }
    }

    /// Whether another thread ended the process (exit_group, a fatal signal, a limit).
    #[inline(always)]
    pub(crate) fn group_exiting(&self) -> bool {
        self.group.as_ref().is_some_and(|g| g.exiting())
    }
}

/// Timebase of the `time` CSR, as in the device tree of a typical riscv64 Linux machine.
pub const TIMEBASE_HZ: u64 = 10_000_000;

impl Env for Process {
    #[inline(always)]
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.view.load(addr, w)
    }
    #[inline(always)]
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.view.store(addr, val, w)
    }
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.mem.amo(op, addr, val, w)
    }
    fn cmpxchg(&mut self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception> {
        self.mem.cmpxchg(addr, expected, new, w)
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        let line = addr >> threads::LINE_SHIFT;
        if line != self.last_line {
            self.last_line = line;
            if self.code_lines.insert(line) && self.jit_code.is_some() {
                // Translations are shared: the group tracks what any thread decoded.
                if let Some(g) = &self.group {
                    g.add_code_line(line);
                }
            }
        }
        self.mem.fetch16(addr)
    }
    fn csr(
        &mut self,
        cpu: &mut CpuState,
        csr: u16,
        _op: CsrOp,
        _src: u64,
        _read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        // User mode sees the read-only counters cycle, time and instret (Linux enables them
        // through scounteren); writes to them were rejected by the emitter (read-only CSRs).
        let illegal = Exception::new(Cause::IllegalInstruction, 0);
        if write {
            return Err(illegal);
        }
        let ticks = || {
            let ns = self.start.elapsed().as_nanos() as u64;
            ns / (1_000_000_000 / TIMEBASE_HZ)
        };
        match csr {
            0xc00 | 0xc02 => Ok(cpu.instret),
            0xc01 => Ok(ticks()),
            _ => Err(illegal),
        }
    }
    fn fence_i(&mut self) {
        if self.group.is_some() {
            // fence.i orders this hart's instruction fetches only.
            self.local_flush = true;
        } else if self.mem.aliased() {
            self.mem.set_code_dirty();
        }
        // Otherwise nothing is stale: every store into a page holding decoded code has
        // raised the "code changed" flag already (guest stores, translated ones through the
        // interpreter, host-side ones), and the engines drop that code before the next block.
    }
    #[inline(always)]
    fn code_flush_pending(&self) -> bool {
        self.view.code_dirty()
            || self.local_flush
            || self
                .group
                .as_ref()
                .is_some_and(|g| g.code_gen() != self.code_gen_seen)
    }
    fn fast_memory(&self) -> Option<translator::interp::FastMem> {
        Some(self.mem.fast_memory())
    }
    /// Alone in the process, guest stores into one page drop that page's code only.
    fn take_code_invalidation(&mut self, pages: &mut Vec<(u64, u64)>) -> bool {
        if self.group.is_some() || !self.view.code_dirty() {
            return self.take_code_flush();
        }
        match self.mem.take_code_change() {
            None => false,
            Some(Some(vpn)) => {
                self.mem.clear_code_mark(vpn);
                pages.push((vpn, self.code_context()));
                true
            }
            Some(None) => {
                self.mem.clear_code_marks();
                self.code_lines.clear();
                self.last_line = u64::MAX;
                true
            }
        }
    }
    #[inline(always)]
    fn take_code_flush(&mut self) -> bool {
        let Some(g) = &self.group else {
            if self.view.code_dirty() && self.mem.take_code_dirty() {
                self.mem.clear_code_marks();
                self.code_lines.clear();
                self.last_line = u64::MAX;
                return true;
            }
            return false;
        };
        // With threads, what a thread must drop follows RISC-V (a hart sees new code after
        // its own fence.i) and Linux (riscv_flush_icache without the LOCAL flag, and
        // unmapping, reach every thread): a store into code alone does not flush.
        if self.view.code_dirty() && self.mem.take_code_dirty() {
            self.mem.clear_code_marks();
        }
        let mut flush = std::mem::take(&mut self.local_flush);
        let gen = g.code_gen();
        if gen != self.code_gen_seen {
            flush |= if self.jit_code.is_some() {
                // Code another thread translated is this thread's too.
                g.touches_shared(self.code_gen_seen)
            } else {
                g.touches(self.code_gen_seen, &self.code_lines)
            };
            self.code_gen_seen = gen;
        }
        if flush {
            self.code_lines.clear();
            self.last_line = u64::MAX;
        }
        flush
    }
    /// A time limit's flag, a signal from outside or another thread's exit: all set from
    /// outside this thread's instructions (its own syscalls leave the engine anyway).
    const EXITS_ASYNC: bool = true;
    /// The engine returns to the run loop: a limit was reached, or a signal is ready for
    /// delivery (the run loop delivers it).
    #[inline(always)]
    fn exit_requested(&mut self) -> bool {
        self.limits.stop_requested() || signal::deliverable(self) || self.group_exiting()
    }
}

/// Statistics of one run, for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    pub instructions: u64,
    pub syscalls: u64,
    /// Blocks decoded by the interpreter (its own cache, or the JIT's cold tier).
    pub blocks_decoded: u64,
    pub code_flushes: u64,
    /// JIT only: what the translator did.
    pub jit: Option<translator::jit::JitStats>,
    /// JIT only: code-cache bytes in use at exit, and its capacity.
    pub code_cache: (usize, usize),
    /// JIT only: translations made by all the process's threads.
    pub process_translations: u64,
}

/// Which engine runs guest code.
#[derive(Clone, Debug)]
pub enum Engine {
    Interp,
    Jit(translator::jit::JitConfig),
}

/// Signal numbers (Linux generic, as on riscv64).
pub mod sig {
    pub const SIGILL: i32 = 4;
    pub const SIGTRAP: i32 = 5;
    pub const SIGBUS: i32 = 7;
    pub const SIGSEGV: i32 = 11;
}

/// The signal a synchronous exception raises in a user-mode process.
pub fn signal_for(e: &Exception) -> i32 {
    match e.cause {
        Cause::IllegalInstruction => sig::SIGILL,
        Cause::Breakpoint => sig::SIGTRAP,
        Cause::LoadMisaligned | Cause::StoreMisaligned | Cause::InstructionMisaligned => {
            sig::SIGBUS
        }
        // A mapped page the host cannot back: a file page past the end of its file
        // (`mem::prot::BUS`), where Linux raises SIGBUS (BUS_ADRERR).
        Cause::LoadAccessFault | Cause::StoreAccessFault | Cause::InstructionAccessFault => {
            sig::SIGBUS
        }
        _ => sig::SIGSEGV,
    }
}

/// Runs the process in the interpreter from `cpu` until it exits.
pub fn run_interp(mut proc: Process, cpu: CpuState) -> (Exit, RunStats, Process) {
    signal::init(&mut proc);
    run_interp_thread(proc, cpu)
}

/// [`run_interp`] without taking over signal handling (a new thread of a running process).
fn run_interp_thread(mut proc: Process, cpu: CpuState) -> (Exit, RunStats, Process) {
    proc.engine = Some(Engine::Interp);
    let mut engine: InterpEngine<Process> = InterpEngine::new();
    let mut m = Interp::new(cpu, proc);
    let (exit, mut stats) = drive(&mut m, |m, budget| engine.run(m, budget));
    stats.blocks_decoded = engine.stats.blocks_decoded;
    stats.code_flushes = engine.stats.flushes;
    (exit, stats, m.env)
}

/// Runs the process with `engine` from `cpu` until it exits. Fails only when the JIT cannot
/// be set up on this host (no executable memory, unsupported host ISA).
pub fn run(
    proc: Process,
    cpu: CpuState,
    engine: Engine,
) -> Result<(Exit, RunStats, Process), JitError> {
    run_controlled(proc, cpu, engine, None)
}

/// [`run`], with a debugging tool ([`crate::trace::Control`]: tracer, profiler, GDB stub)
/// deciding how guest code is run.
pub fn run_controlled(
    mut proc: Process,
    cpu: CpuState,
    engine: Engine,
    ctl: Option<&mut dyn crate::trace::Control>,
) -> Result<(Exit, RunStats, Process), JitError> {
    match (engine, ctl) {
        (Engine::Interp, None) => Ok(run_interp(proc, cpu)),
        (Engine::Interp, Some(c)) => {
            signal::init(&mut proc);
            proc.engine = Some(Engine::Interp);
            let mut engine: InterpEngine<Process> = InterpEngine::new();
            let mut m = Interp::new(cpu, proc);
            let (exit, mut stats) = drive(&mut m, |m, budget| {
                c.step(m, &mut |m, b| engine.run(m, b.min(budget)))
            });
            c.exited(&mut m, exit);
            stats.blocks_decoded = engine.stats.blocks_decoded;
            stats.code_flushes = engine.stats.flushes;
            Ok((exit, stats, m.env))
        }
        (Engine::Jit(cfg), mut ctl) => {
            let mut jit: JitEngine<Process> = JitEngine::new(cfg.clone())?;
            proc.jit_code = Some(jit.shared_code());
            signal::init(&mut proc);
            proc.engine = Some(Engine::Jit(cfg));
            if let Some(o) = ctl.as_ref().and_then(|c| c.block_observer()) {
                jit.set_observer(o);
            }
            let mut m = Interp::new(cpu, proc);
            let (exit, mut stats) = match ctl.as_mut() {
                None => drive(&mut m, |m, budget| run_jit(&mut jit, m, budget)),
                Some(c) => drive(&mut m, |m, budget| {
                    c.step(m, &mut |m, b| run_jit(&mut jit, m, b.min(budget)))
                }),
            };
            if let Some(c) = ctl {
                c.exited(&mut m, exit);
            }
            stats.blocks_decoded = jit.stats.interp_blocks;
            stats.code_flushes = jit.stats.flushes;
            stats.jit = Some(jit.stats);
            stats.code_cache = jit.code_cache_usage();
            stats.process_translations = jit.process_translations();
            Ok((exit, stats, m.env))
        }
    }
}

/// Runs guest code with the JIT; threads this one starts share its translated code (which
/// changes when the engine leaves code it shared, see `JitEngine::flush`).
fn run_jit(
    jit: &mut JitEngine<Process>,
    m: &mut Interp<Process>,
    budget: u64,
) -> Result<(), Exception> {
    if m.env.verify {
        // Verification undoes the interpreter's stores before the translated code runs them
        // again: only sound while no other thread can see or race with them.
        jit.set_lockstep(m.env.group.is_none());
    }
    let r = jit.run(m, budget);
    if m.env.verify {
        if let Some(x) = jit.take_mismatch() {
            m.env.verify_report = Some(x);
        }
    }
    if !m.env.jit_code.as_ref().is_some_and(|c| jit.uses(c)) {
        m.env.jit_code = Some(jit.shared_code());
    }
    r
}

/// Runs a new guest thread of a running process with `engine` (no debugging tool; signal
/// handling is already the process's).
pub(crate) fn run_thread(proc: Process, cpu: CpuState, engine: Engine) -> (Exit, Process) {
    match engine {
        Engine::Interp => {
            let (e, _, p) = run_interp_thread(proc, cpu);
            (e, p)
        }
        Engine::Jit(cfg) => match match proc.jit_code.clone() {
            // The threads share the translated code.
            Some(shared) => JitEngine::<Process>::sharing(cfg.clone(), shared),
            None => JitEngine::<Process>::new(translator::jit::JitConfig {
                code_cache_size: cfg.code_cache_size.min(THREAD_CODE_CACHE),
                ..cfg.clone()
            }),
        } {
            Ok(mut jit) => {
                let mut proc = proc;
                proc.engine = Some(Engine::Jit(cfg));
                let mut m = Interp::new(cpu, proc);
                let (exit, _) = drive(&mut m, |m, budget| run_jit(&mut jit, m, budget));
                (exit, m.env)
            }
            // No room for another code cache: the thread runs in the interpreter.
            Err(_) => {
                let (e, _, p) = run_interp_thread(proc, cpu);
                (e, p)
            }
        },
    }
}

/// Code cache of a thread without the process's shared one.
const THREAD_CODE_CACHE: usize = 16 << 20;

/// Guest instructions an engine runs before returning to the run loop, which then delivers
/// pending signals. The engines also return at a block boundary as soon as a signal is ready
/// (`Env::exit_requested`); this bound covers translated blocks chained to each other, which
/// do not poll (a few milliseconds of guest time at most).
const SLICE: u64 = 1 << 22;

/// The execution loop shared by every engine: `step` runs guest code until an exception, which
/// is a syscall (handled, then execution resumes after the `ecall`, or at it when an
/// interrupted syscall restarts) or a fault (delivered as a signal to the guest's handler, or
/// its default action ends the process), or until a signal is ready for delivery.
fn drive<F>(m: &mut Interp<Process>, mut step: F) -> (Exit, RunStats)
where
    F: FnMut(&mut Interp<Process>, u64) -> Result<(), Exception>,
{
    let mut stats = RunStats::default();
    let exit = loop {
        let count = match &m.env.group {
            Some(g) => {
                if let Some(e) = g.exit_status() {
                    break e;
                }
                // The instruction limit counts every thread's instructions.
                let d = m.cpu.instret.wrapping_sub(m.env.instret_reported);
                m.env.instret_reported = m.cpu.instret;
                g.add_instructions(d)
            }
            None => m.cpu.instret,
        };
        if let Some(hit) = m.env.limits.poll(count) {
            break Exit::Limit(hit);
        }
        if m.env.verify_report.is_some() {
            break Exit::Code(VERIFY_EXIT);
        }
        match step(m, m.env.limits.budget(count).min(SLICE)) {
            Ok(()) => {}
            Err(Exception {
                cause: Cause::EcallFromU,
                ..
            }) => {
                stats.syscalls += 1;
                m.cpu.instret += 1;
                let nr = m.cpu.x[17];
                if nr == syscall::nr::RT_SIGRETURN {
                    let r = signal::sigreturn(&mut m.env, &mut m.cpu);
                    syscall::log_sigreturn(&mut m.env, &m.cpu);
                    if let Err(exit) = r {
                        break exit;
                    }
                } else {
                    let a0 = m.cpu.x[10];
                    crate::trace::syscall_enter(&m.cpu);
                    syscall::dispatch(&mut m.env, &mut m.cpu);
                    if let Some(exit) = m.env.exit {
                        break exit;
                    }
                    if m.env.group_exiting() {
                        continue;
                    }
                    crate::trace::syscall_exit(&m.cpu);
                    let eintr = (-(syscall::errno::EINTR.0 as i64)) as u64;
                    if m.cpu.x[10] == eintr && signal::restart_after_eintr(&m.env, nr) {
                        // Run the ecall again with its arguments (Linux's syscall restart).
                        m.cpu.x[10] = a0;
                    } else {
                        // ecall is never compressed: the next instruction is 4 bytes on.
                        m.cpu.pc = m.cpu.pc.wrapping_add(4);
                    }
                }
            }
            Err(e) => {
                crate::trace::trap(&m.cpu, &e, signal_for(&e));
                if let signal::After::Exit(exit) = signal::fault(m, &e) {
                    break exit;
                }
                continue;
            }
        }
        if signal::deliverable(&m.env) || m.env.sys.sig.saved_mask.is_some() {
            if let signal::After::Exit(exit) = signal::deliver(m) {
                break exit;
            }
        }
    };
    stats.instructions = m.cpu.instret;
    let exit = threads::after_drive(&mut m.env, exit);
    (exit, stats)
}
