//! The bare-metal machine for ISA conformance tests: one RV64GC hart in M-mode at reset, RAM at
//! 0x8000_0000, HTIF and a CLINT (RISC-V Privileged ISA 20211203; the riscv-tests and
//! riscv-arch-test conventions for `tohost` and `begin_signature`/`end_signature`).
//!
//! [`Machine::run`] is the run loop: it lets the engine (interpreter or JIT, [`Config::engine`])
//! run slices of guest code, delivers
//! the exceptions it returns as traps to the guest, takes interrupts between slices and stops
//! when the guest ends the run through HTIF, at a time or instruction limit, or when the guest
//! is stuck in a trap loop (a trap whose handler faults before retiring any instruction).

pub mod bus;
pub mod fasttlb;
pub mod fdt;
pub mod hart;
pub mod htif;
pub mod mmu;
pub mod sbi;
pub mod system;

use std::time::Instant;

use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{LittleEndian as LE, Object, ObjectSymbol};
use translator::interp::{Interp, InterpEngine};
use translator::jit::{JitEngine, JitError, JitStats};
use translator::{Cause, CpuState, Exception};

pub use bus::{Bus, DEFAULT_RAM_SIZE, RAM_BASE};
pub use hart::{Hart, Misaligned, Priv};

/// Which engine runs the hart (the same choice as for Linux user mode).
pub use crate::linux::Engine;

/// How the machine is built.
#[derive(Clone, Debug)]
pub struct Config {
    pub ram_base: u64,
    pub ram_size: u64,
    pub misaligned: Misaligned,
    /// Copy console output (HTIF putchar and SYS_write) to stdout as it comes.
    pub echo_console: bool,
    pub engine: Engine,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ram_base: RAM_BASE,
            ram_size: DEFAULT_RAM_SIZE,
            misaligned: Misaligned::Trap,
            echo_console: false,
            engine: Engine::Interp,
        }
    }
}

/// Why a bare-metal program could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not an ELF file")]
    NotElf,
    #[error("not a 64-bit RISC-V ELF file")]
    WrongMachine,
    #[error("malformed ELF file: {0}")]
    Malformed(String),
    #[error("segment at {addr:#x} (+{len:#x}) is outside RAM")]
    OutsideRam { addr: u64, len: u64 },
}

/// Symbols of the loaded program the protocols use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Symbols {
    pub entry: u64,
    pub tohost: Option<u64>,
    pub fromhost: Option<u64>,
    pub begin_signature: Option<u64>,
    pub end_signature: Option<u64>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// HTIF exit code 0.
    Pass,
    /// HTIF exit with this code (riscv-tests: the number of the failed case).
    Fail(u64),
    /// The time limit passed.
    Timeout,
    /// The instruction limit was reached.
    InstructionLimit,
    /// The guest is stuck trapping: the handler at `pc` faults before retiring an instruction.
    TrapLoop { pc: u64, cause: u64, tval: u64 },
}

/// Limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_instructions: u64,
    pub deadline: Option<Instant>,
}

/// Instructions per slice between checks of the clock, interrupts and HTIF.
const SLICE: u64 = 20_000;
/// Consecutive traps at the trap vector without progress that make a trap loop.
const TRAP_LOOP: u32 = 3;

/// Where a guest stuck in a trap loop is: the faulting pc, the cause register of the mode
/// that took the trap, and the trap value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stuck {
    pub pc: u64,
    pub cause: u64,
    pub tval: u64,
}

/// Delivers guest exceptions as traps and notices a trap loop: a trap taken at the same
/// instret and handler pc as the previous one (its handler faulted before retiring an
/// instruction), [`TRAP_LOOP`] times in a row.
#[derive(Default)]
pub(crate) struct TrapWatch {
    /// (instret, handler pc) after the previous trap.
    last: Option<(u64, u64)>,
    repeats: u32,
}

impl TrapWatch {
    /// Takes `e` as a trap on the hart; returns where the guest is stuck when it is.
    pub(crate) fn take(&mut self, m: &mut Interp<Hart>, e: Exception) -> Option<Stuck> {
        let pc = m.cpu.pc;
        let stuck = self.last == Some((m.cpu.instret, pc));
        m.env.take_exception(&mut m.cpu, e);
        if stuck {
            self.repeats += 1;
            if self.repeats >= TRAP_LOOP {
                let h = &m.env;
                let cause = if h.privilege == Priv::M {
                    h.mcause
                } else {
                    h.scause
                };
                return Some(Stuck {
                    pc,
                    cause,
                    tval: e.tval,
                });
            }
        } else {
            self.repeats = 0;
        }
        self.last = Some((m.cpu.instret, m.cpu.pc));
        None
    }
}

/// The engine instance running the hart. The hart's code-flush requests (satp writes,
/// `sfence.vma`, privilege changes, `fence.i`) reach either one through `Env::take_code_flush`.
enum Runner {
    Interp(InterpEngine<Hart>),
    Jit(Box<JitEngine<Hart>>),
}

impl Runner {
    fn run(&mut self, m: &mut Interp<Hart>, budget: u64) -> Result<(), Exception> {
        match self {
            Runner::Interp(e) => e.run(m, budget),
            Runner::Jit(e) => e.run(m, budget),
        }
    }
}

pub struct Machine {
    pub interp: Interp<Hart>,
    engine: Runner,
    pub symbols: Symbols,
}

/// Parses the ELF header and checks it is RV64.
pub fn parse_elf(data: &[u8]) -> Result<ElfFile64<'_, LE>, LoadError> {
    if data.get(..4) != Some(b"\x7fELF") {
        return Err(LoadError::NotElf);
    }
    let f = ElfFile64::<LE>::parse(data).map_err(|e| {
        if data.get(4) == Some(&1) {
            LoadError::WrongMachine
        } else {
            LoadError::Malformed(e.to_string())
        }
    })?;
    if f.elf_header().e_machine(LE) != object::elf::EM_RISCV {
        return Err(LoadError::WrongMachine);
    }
    Ok(f)
}

/// The address of symbol `name`, if the program defines it.
pub fn symbol(f: &ElfFile64<'_, LE>, name: &str) -> Option<u64> {
    f.symbols()
        .find(|s| s.name() == Ok(name) && !s.is_undefined())
        .map(|s| s.address())
}

impl Machine {
    /// Builds the machine; fails only when the JIT cannot be started (no executable memory,
    /// unsupported host).
    pub fn new(cfg: &Config) -> Result<Self, JitError> {
        let mut bus = Bus::new(cfg.ram_base, cfg.ram_size);
        bus.htif.echo = cfg.echo_console;
        let mut hart = Hart::new(bus);
        hart.misaligned = cfg.misaligned;
        let engine = match &cfg.engine {
            Engine::Interp => Runner::Interp(InterpEngine::new()),
            Engine::Jit(j) => Runner::Jit(Box::new(JitEngine::new(j.clone())?)),
        };
        Ok(Self {
            interp: Interp::new(CpuState::default(), hart),
            engine,
            symbols: Symbols::default(),
        })
    }

    /// What the JIT did so far (`None` with the interpreter).
    pub fn jit_stats(&self) -> Option<JitStats> {
        match &self.engine {
            Runner::Jit(e) => Some(e.stats),
            Runner::Interp(_) => None,
        }
    }

    pub fn hart(&mut self) -> &mut Hart {
        &mut self.interp.env
    }

    /// Loads an ELF program at its physical addresses and points the hart at its entry.
    pub fn load_elf(&mut self, data: &[u8]) -> Result<Symbols, LoadError> {
        let f = parse_elf(data)?;
        let endian = LE;
        let headers = f
            .elf_header()
            .program_headers(endian, data)
            .map_err(|e| LoadError::Malformed(e.to_string()))?;
        for ph in headers {
            if ph.p_type(endian) != object::elf::PT_LOAD || ph.p_memsz(endian) == 0 {
                continue;
            }
            let (pa, memsz, filesz) = (ph.p_paddr(endian), ph.p_memsz(endian), ph.p_filesz(endian));
            let bytes = ph
                .data(endian, data)
                .map_err(|_| LoadError::Malformed("segment data out of the file".into()))?;
            if filesz > memsz {
                return Err(LoadError::Malformed("p_filesz > p_memsz".into()));
            }
            let ram =
                self.interp
                    .env
                    .bus
                    .ram_slice_mut(pa, memsz)
                    .ok_or(LoadError::OutsideRam {
                        addr: pa,
                        len: memsz,
                    })?;
            let n = bytes.len().min(ram.len());
            ram[..n].copy_from_slice(&bytes[..n]);
            ram[n..].fill(0);
        }
        let syms = Symbols {
            entry: f.elf_header().e_entry(endian),
            tohost: symbol(&f, "tohost"),
            fromhost: symbol(&f, "fromhost"),
            begin_signature: symbol(&f, "begin_signature"),
            end_signature: symbol(&f, "end_signature"),
        };
        self.symbols = syms;
        let hart = &mut self.interp.env;
        hart.bus.htif.tohost = syms.tohost;
        hart.bus.htif.fromhost = syms.fromhost;
        self.interp.cpu.pc = syms.entry;
        Ok(syms)
    }

    /// Runs until the guest ends the run or a limit is reached.
    pub fn run(&mut self, limits: Limits) -> Outcome {
        let mut traps = TrapWatch::default();
        loop {
            let m = &mut self.interp;
            if let Some(code) = m.env.bus.htif.exit {
                return if code == 0 {
                    Outcome::Pass
                } else {
                    Outcome::Fail(code)
                };
            }
            if m.cpu.instret >= limits.max_instructions {
                return Outcome::InstructionLimit;
            }
            if limits.deadline.is_some_and(|d| Instant::now() >= d) {
                return Outcome::Timeout;
            }
            m.env.bus.clint.now = m.cpu.instret;
            if let Some(cause) = m.env.pending_interrupt() {
                m.env.take_trap(&mut m.cpu, cause, 0);
            }
            m.env.waiting = false;
            let budget = SLICE.min(limits.max_instructions - m.cpu.instret);
            match self.engine.run(m, budget) {
                Ok(()) => {}
                Err(e) => {
                    if let Some(Stuck { pc, cause, tval }) = traps.take(m, e) {
                        return Outcome::TrapLoop { pc, cause, tval };
                    }
                }
            }
        }
    }

    /// The signature region as text: one little-endian word of `granularity` bytes (4 or 8) per
    /// line, lowercase hex. `None` when the program has no signature symbols or they are not in
    /// RAM.
    pub fn signature(&self, granularity: u64) -> Option<String> {
        let (b, e) = (self.symbols.begin_signature?, self.symbols.end_signature?);
        let len = e.checked_sub(b)?;
        let bytes = self.interp.env.bus.ram_slice(b, len)?;
        let g = if granularity == 8 { 8 } else { 4 };
        let mut out = String::with_capacity(bytes.len() / g * 17 + 1);
        for chunk in bytes.chunks(g) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            let v = u64::from_le_bytes(w);
            out.push_str(&format!("{v:0width$x}\n", width = g * 2));
        }
        Some(out)
    }

    /// Console output so far.
    pub fn console(&self) -> &[u8] {
        &self.interp.env.bus.htif.console
    }
}

/// A readable name of an `mcause` value.
pub fn cause_name(cause: u64) -> String {
    if cause >> 63 != 0 {
        return format!("interrupt {}", cause & !(1 << 63));
    }
    let name = match Cause::from_code(cause) {
        Some(Cause::InstructionMisaligned) => "instruction address misaligned",
        Some(Cause::InstructionAccessFault) => "instruction access fault",
        Some(Cause::IllegalInstruction) => "illegal instruction",
        Some(Cause::Breakpoint) => "breakpoint",
        Some(Cause::LoadMisaligned) => "load address misaligned",
        Some(Cause::LoadAccessFault) => "load access fault",
        Some(Cause::StoreMisaligned) => "store address misaligned",
        Some(Cause::StoreAccessFault) => "store access fault",
        Some(Cause::EcallFromU) => "ecall from U-mode",
        Some(Cause::EcallFromS) => "ecall from S-mode",
        Some(Cause::EcallFromM) => "ecall from M-mode",
        Some(Cause::InstructionPageFault) => "instruction page fault",
        Some(Cause::LoadPageFault) => "load page fault",
        Some(Cause::StorePageFault) => "store page fault",
        None => return format!("cause {cause}"),
    };
    name.to_string()
}
