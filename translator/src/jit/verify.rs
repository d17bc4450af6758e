//! Lockstep verification of the JIT against the interpreter (`xlate run --verify`): every
//! entry into translated code is first replayed in the interpreter (the reference semantics of
//! the RISC-V unprivileged spec) from the same state with its stores logged and undone, then
//! run as translated code alone (no chaining), and the two results are compared: `pc`,
//! `instret`, x1..x31, f0..f31 (raw bits, so NaN-boxing counts), `fflags`, `frm`, the LR
//! reservation, the exception (cause, trap value, pc) and the memory bytes the interpreter
//! wrote.
//!
//! How one step works ([`JitEngine::verify_enter`]):
//! 1. The interpreter runs from the entry state one instruction at a time through a
//!    [`LogEnv`] that sends every access through the environment (no inline fast path) and
//!    logs each store, AMO and compare-exchange as (address, width, old value, new value,
//!    instruction index). It runs at least as far as the translation can (translated code
//!    enters each of its region's blocks at most once when chaining is off): it stops at an
//!    exception (a syscall is one), when the next pc is not an instruction of the region, when
//!    an address has run as often as region blocks hold it, or after as many instructions as
//!    the region has. The state after each instruction is kept.
//! 2. The logged stores are undone (newest first) and the entry state is restored.
//! 3. The translated code runs with `stop_at` 0: it stops at its first back edge, chained or
//!    indirect exit, exception, slow-path exit or trap stub, after N instructions.
//! 4. Its state is compared with the interpreter's after N instructions (or at its exception),
//!    and memory with what the interpreter's first N instructions left at every address it
//!    wrote (bytes it wrote only later must still hold their old value).
//!
//! What it cannot see: a store of the translated code to an address the interpreter did not
//! write. Steps whose replay read the `time` CSR (or any CSR other than `cycle`/`instret`, or
//! ran a privileged operation), or stored to memory it could not read back, are not compared:
//! the interpreter's result is kept instead (counted in [`super::JitStats::verify_skipped`]).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::decode::{DecodeError, Table};
use crate::emit::{AmoOp, BinOp, CsrOp, Emitter, SystemOp, Width};
use crate::interp::{run_block, Block, Env, Interp};
use crate::{CpuState, Exception};

use super::clif::ClifEmitter;
use super::{exit, instruction_bits, JitEngine, REQ_EXIT};

/// A hasher for guest addresses (the maps below are looked up at every replayed
/// instruction; SipHash's DoS resistance is not needed for them).
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

/// One difference between the interpreter (expected) and the translated code (got).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// What differs: `pc`, `instret`, `x12 (a2)`, `f3`, `fflags`, `frm`, `reservation`,
    /// `mem[0x1234]`, `exception`, `instructions`.
    pub what: String,
    pub expected: String,
    pub got: String,
}

/// The first step at which translated code and the interpreter disagreed.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Guest address of the translated region (where it was entered).
    pub block_pc: u64,
    /// `instret` when it was entered.
    pub instret: u64,
    /// The region's guest instructions: address, bits (16 for a compressed one), length.
    pub guest: Vec<(u64, u32, u8)>,
    /// The region's host code and its address.
    pub host_addr: usize,
    pub host_code: Vec<u8>,
    /// How the translated code left (`return`, `chain`, `lookup`, `slow path`, `exception`)
    /// and how many instructions it retired.
    pub jit_exit: &'static str,
    pub jit_insns: u64,
    /// Addresses of the instructions the interpreter ran (at least as many as the
    /// translated code), and why it stopped.
    pub interp_trace: Vec<u64>,
    pub interp_end: String,
    pub diffs: Vec<Diff>,
}

/// ABI names of the integer registers.
const XNAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// What verification keeps about one translation (by host code address).
pub(super) struct Meta {
    pub(super) guest: Vec<(u64, u32, u8)>,
    /// Each instruction address of the region: how many of its blocks hold it.
    mult: AddrMap<u32>,
    /// Instructions in the region's blocks.
    total: usize,
    host: Vec<u8>,
}

impl Meta {
    /// The translation of `blocks` (each a list of (address, bits, length)) as `host`.
    pub(super) fn new(blocks: &[Vec<(u64, u32, u8)>], host: &[u8]) -> Self {
        let mut mult = AddrMap::default();
        let mut guest = Vec::new();
        for b in blocks {
            for &i in b {
                *mult.entry(i.0).or_insert(0) += 1;
                guest.push(i);
            }
        }
        Meta {
            total: guest.len(),
            guest,
            mult,
            host: host.to_vec(),
        }
    }
}

/// The lockstep state of an engine ([`JitEngine::set_lockstep`]).
pub(super) struct Lockstep<X: Env> {
    table: Table<Interp<LogEnv<X>>>,
    /// The replay's decoded instructions by address (dropped with the translations when
    /// code changes, as the interpreter's decoded blocks are).
    singles: AddrMap<Block<LogEnv<X>>>,
    pub(super) meta: HashMap<usize, Meta>,
    pub(super) failure: Option<Box<Mismatch>>,
    /// The buffers of the last replay, kept for the next one (no allocation per step).
    spare: Option<Replay>,
}

impl<X: Env> Lockstep<X> {
    /// Drops what was decoded or translated (code changed).
    pub(super) fn clear(&mut self) {
        self.meta.clear();
        self.singles.clear();
    }

    pub(super) fn new() -> Self {
        Lockstep {
            table: crate::riscv::table(),
            singles: AddrMap::default(),
            meta: HashMap::new(),
            failure: None,
            spare: None,
        }
    }
}

/// One logged memory write of the replay.
struct Write {
    addr: u64,
    w: Width,
    old: u64,
    new: u64,
    /// Index (in the step) of the instruction that wrote it.
    idx: usize,
}

/// The environment of the replay: the machine's, with every store logged (see the module
/// documentation). Holds the machine's environment by pointer, as the replay's `Interp` must
/// own its environment.
pub(super) struct LogEnv<X> {
    inner: *mut X,
    log: Vec<Write>,
    idx: usize,
    /// A read of a CSR whose value may differ between the two runs (`time`), or a
    /// privileged operation.
    nondet: bool,
    /// A store whose old value could not be read (cannot be undone).
    lost: bool,
}

impl<X: Env> LogEnv<X> {
    fn env(&mut self) -> &mut X {
        // SAFETY: `inner` is the environment of the `Interp` that `verify_enter` borrows
        // mutably for the whole replay, and the replay is the only code using it meanwhile
        // (the `LogEnv` does not outlive the replay).
        unsafe { &mut *self.inner }
    }

    /// Logs a write of `w` bytes at `addr` by `f` (which returns `Err` without writing).
    fn logged<T>(
        &mut self,
        addr: u64,
        w: Width,
        f: impl FnOnce(&mut X) -> Result<T, Exception>,
    ) -> Result<T, Exception> {
        let old = self.env().load(addr, w);
        let r = f(self.env())?;
        match (old, self.env().load(addr, w)) {
            (Ok(old), Ok(new)) => {
                let idx = self.idx;
                self.log.push(Write {
                    addr,
                    w,
                    old,
                    new,
                    idx,
                });
            }
            _ => self.lost = true,
        }
        Ok(r)
    }
}

impl<X: Env> Env for LogEnv<X> {
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.env().load(addr, w)
    }
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.logged(addr, w, |e| e.store(addr, val, w))
    }
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.logged(addr, w, |e| e.amo(op, addr, val, w))
    }
    fn cmpxchg(&mut self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception> {
        self.logged(addr, w, |e| e.cmpxchg(addr, expected, new, w))
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        self.env().fetch16(addr)
    }
    fn csr(
        &mut self,
        cpu: &mut CpuState,
        csr: u16,
        op: CsrOp,
        src: u64,
        read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        // cycle and instret follow instret in user mode; anything else (time) may differ.
        if write || !matches!(csr, 0xc00 | 0xc02) {
            self.nondet = true;
        }
        self.env().csr(cpu, csr, op, src, read, write)
    }
    fn fence_i(&mut self) {
        self.env().fence_i()
    }
    fn take_code_flush(&mut self) -> bool {
        // Left for the engine's dispatcher (the replay never chains, so never asks).
        false
    }
    fn code_context(&self) -> u64 {
        // SAFETY: as in `env`; shared access only.
        unsafe { (*self.inner).code_context() }
    }
    fn system(
        &mut self,
        cpu: &mut CpuState,
        op: SystemOp,
        a: u64,
        b: u64,
    ) -> Result<(), Exception> {
        self.nondet = true;
        self.env().system(cpu, op, a, b)
    }
    const CHECKS_FP: bool = X::CHECKS_FP;
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        self.env().fp_enabled()
    }
}

/// Why the replay stopped.
#[derive(Clone, Copy)]
enum End {
    /// The next pc is not an instruction of the region.
    Left(u64),
    /// The next pc ran as often as region blocks hold it.
    Again(u64),
    /// As many instructions as the region has.
    Length,
    /// An exception (fetch or execution) at this pc.
    Fault(u64, Exception),
}

impl End {
    fn text(self, done: u64) -> String {
        let why = match self {
            End::Left(pc) => format!("left the region at {pc:#x}"),
            End::Again(pc) => format!("came back to {pc:#x}"),
            End::Length => "ran as many instructions as the region has".into(),
            End::Fault(pc, e) => format!("exception at {pc:#x}: {}", exc_text(&e)),
        };
        format!("{done} instructions, then {why}")
    }
}

/// What the replay did.
struct Replay {
    /// `states[k]`: the state after k instructions (`states[0]` is the entry state).
    states: Vec<CpuState>,
    /// The exception the instruction after the last state raised, and the state then.
    fault: Option<(Exception, CpuState)>,
    trace: Vec<u64>,
    end: End,
    log: Vec<Write>,
    /// How often each address ran (few: a region's instructions run once or twice).
    seen: Vec<(u64, u32)>,
    nondet: bool,
    lost: bool,
}

fn hex(v: u64) -> String {
    format!("{v:#018x}")
}

fn exc_text(e: &Exception) -> String {
    format!("{:?} (tval {:#x})", e.cause, e.tval)
}

/// Compares the architectural state `got` with `exp`.
fn compare_cpu(exp: &CpuState, got: &CpuState, diffs: &mut Vec<Diff>) {
    // Names are made only for the values that differ (this runs at every step).
    let mut d = |what: &dyn Fn() -> String, e: u64, g: u64| {
        if e != g {
            diffs.push(Diff {
                what: what(),
                expected: hex(e),
                got: hex(g),
            });
        }
    };
    d(&|| "pc".into(), exp.pc, got.pc);
    d(&|| "instret".into(), exp.instret, got.instret);
    for (r, name) in XNAMES.iter().enumerate().skip(1) {
        d(&|| format!("x{r} ({name})"), exp.x[r], got.x[r]);
    }
    for r in 0..32 {
        d(&|| format!("f{r}"), exp.f[r], got.f[r]);
    }
    d(&|| "fflags".into(), exp.fflags, got.fflags);
    d(&|| "frm".into(), exp.frm, got.frm);
    d(&|| "reservation".into(), exp.reservation, got.reservation);
    if exp.reservation != crate::NO_RESERVATION {
        d(
            &|| "reservation value".into(),
            exp.reservation_value,
            got.reservation_value,
        );
    }
}

/// Makes the translated code compute a wrong value for instruction `insn`: its integer
/// destination gets its lowest bit flipped (`XLATE_JIT_FAULT_INJECT=NAME`, to test
/// `--verify`).
pub(super) fn inject(e: &mut ClifEmitter, insn: &crate::decode::Insn) {
    if insn.rd != 0 {
        let v = e.xreg(insn.rd);
        let one = e.imm(1);
        let w = e.bin(BinOp::Xor, v, one);
        e.set_xreg(insn.rd, w);
    }
}

impl<X: Env> JitEngine<X> {
    /// Replays the step that translated code entered at `interp.cpu.pc` would run (see the
    /// module documentation).
    fn replay(
        table: &Table<Interp<LogEnv<X>>>,
        singles: &mut AddrMap<Block<LogEnv<X>>>,
        interp: &mut Interp<X>,
        meta: &Meta,
        spare: Option<Replay>,
    ) -> Replay {
        let (mut states, mut trace, mut log, mut seen) = match spare {
            Some(r) => (r.states, r.trace, r.log, r.seen),
            None => Default::default(),
        };
        states.clear();
        trace.clear();
        log.clear();
        seen.clear();
        let env = LogEnv {
            inner: &mut interp.env as *mut X,
            log,
            idx: 0,
            nondet: false,
            lost: false,
        };
        let mut r = Interp::new(interp.cpu.clone(), env);
        states.push(r.cpu.clone());
        let mut fault = None;
        let end = loop {
            let pc = r.cpu.pc;
            let Some(&most) = meta.mult.get(&pc) else {
                break End::Left(pc);
            };
            let i = match seen.iter().position(|&(a, _)| a == pc) {
                Some(i) => i,
                None => {
                    seen.push((pc, 0));
                    seen.len() - 1
                }
            };
            if seen[i].1 >= most {
                break End::Again(pc);
            }
            seen[i].1 += 1;
            if trace.len() >= meta.total {
                break End::Length;
            }
            r.env.idx = trace.len();
            let b = match singles.entry(pc) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    match r
                        .env
                        .fetch16(pc)
                        .map_err(DecodeError::Fetch)
                        .and_then(|lo| table.decode(lo, || r.env.fetch16(pc.wrapping_add(2))))
                    {
                        Ok(d) => v.insert(Block::single(pc, d)),
                        Err(DecodeError::Fetch(e)) => {
                            fault = Some((e, r.cpu.clone()));
                            break End::Fault(pc, e);
                        }
                    }
                }
            };
            trace.push(pc);
            match run_block(&mut r, b) {
                Ok(()) => states.push(r.cpu.clone()),
                Err(e) => {
                    fault = Some((e, r.cpu.clone()));
                    break End::Fault(pc, e);
                }
            }
        };
        let env = r.env;
        Replay {
            states,
            fault,
            trace,
            end,
            log: env.log,
            seen,
            nondet: env.nondet,
            lost: env.lost,
        }
    }

    /// Runs translated code `code` for the block at `interp.cpu.pc` in lockstep with the
    /// interpreter (see the module documentation). Returns the exit code of the translated
    /// code; on a difference it records the [`Mismatch`] and asks the dispatcher to return.
    /// For a step that cannot be compared the interpreter's result is kept: `Ok(RETURN)` or
    /// its exception.
    pub(super) fn verify_enter(
        &mut self,
        interp: &mut Interp<X>,
        code: usize,
    ) -> Result<u64, Exception> {
        let Some(mut ls) = self.lockstep.take() else {
            return Ok(self.enter(interp, code));
        };
        let r = self.verify_step(&mut ls, interp, code);
        self.lockstep = Some(ls);
        r
    }

    fn verify_step(
        &mut self,
        ls: &mut Lockstep<X>,
        interp: &mut Interp<X>,
        code: usize,
    ) -> Result<u64, Exception> {
        let Some(meta) = ls.meta.get(&code) else {
            // Translated by another thread: not verified.
            self.stats.verify_skipped += 1;
            return Ok(self.enter(interp, code));
        };
        let entry = interp.cpu.clone();
        let spare = ls.spare.take();
        let rep = Self::replay(&ls.table, &mut ls.singles, interp, meta, spare);
        if rep.nondet || rep.lost {
            // Keep what the interpreter did.
            self.stats.verify_skipped += 1;
            return match rep.fault {
                Some((e, cpu)) => {
                    interp.cpu = cpu;
                    Err(e)
                }
                None => {
                    interp.cpu = rep.states.last().cloned().unwrap_or(entry);
                    Ok(exit::RETURN)
                }
            };
        }
        for w in rep.log.iter().rev() {
            let _ = interp.env.store(w.addr, w.old, w.w);
        }
        interp.cpu = entry.clone();
        let r = self.enter(interp, code);
        self.stats.verified += 1;
        let got_n = interp.cpu.instret.wrapping_sub(entry.instret);
        let mut got = interp.cpu.clone();
        let got_exc = if r & 0xff == exit::EXCEPTION {
            got.take_pending().map(|mut e| {
                if e.cause == crate::Cause::IllegalInstruction && e.tval == 0 {
                    e.tval = instruction_bits(&mut interp.env, got.pc);
                }
                e
            })
        } else {
            None
        };
        let mut diffs = Vec::new();
        let done = rep.states.len() as u64 - 1;
        match (&got_exc, &rep.fault) {
            (Some(g), Some((e, at))) if got_n == done => {
                if g != e {
                    diffs.push(Diff {
                        what: "exception".into(),
                        expected: exc_text(e),
                        got: exc_text(g),
                    });
                }
                compare_cpu(at, &got, &mut diffs);
            }
            (Some(g), _) => {
                diffs.push(Diff {
                    what: "exception".into(),
                    expected: match &rep.fault {
                        Some((e, _)) => format!("{} after {done} instructions", exc_text(e)),
                        None => format!("none in the {done} instructions run"),
                    },
                    got: format!("{} after {got_n} instructions", exc_text(g)),
                });
                if let Some(s) = rep.states.get(got_n as usize) {
                    compare_cpu(s, &got, &mut diffs);
                }
            }
            (None, _) => match rep.states.get(got_n as usize) {
                Some(s) => compare_cpu(s, &got, &mut diffs),
                None => {
                    diffs.push(Diff {
                        what: "instructions".into(),
                        expected: format!("at most {done} ({})", rep.end.text(done)),
                        got: got_n.to_string(),
                    });
                    if let Some(s) = rep.states.last() {
                        compare_cpu(s, &got, &mut diffs);
                    }
                }
            },
        }
        // Memory: every byte the replay wrote, as its first `got_n` instructions left it.
        let mut expected: BTreeMap<u64, u8> = BTreeMap::new();
        for w in &rep.log {
            for i in 0..w.w.bytes() {
                expected
                    .entry(w.addr.wrapping_add(i))
                    .or_insert((w.old >> (8 * i)) as u8);
            }
        }
        for w in rep.log.iter().filter(|w| (w.idx as u64) < got_n) {
            for i in 0..w.w.bytes() {
                expected.insert(w.addr.wrapping_add(i), (w.new >> (8 * i)) as u8);
            }
        }
        for (&a, &e) in &expected {
            match interp.env.load(a, Width::B) {
                Ok(g) if g as u8 == e => {}
                g => diffs.push(Diff {
                    what: format!("mem[{a:#x}]"),
                    expected: format!("{e:#04x}"),
                    got: match g {
                        Ok(v) => format!("{:#04x}", v as u8),
                        Err(x) => format!("unreadable ({})", exc_text(&x)),
                    },
                }),
            }
        }
        if diffs.is_empty() {
            ls.spare = Some(rep);
            return Ok(r);
        }
        let trace_len = rep.trace.len().max(got_n as usize + 1);
        ls.failure = Some(Box::new(Mismatch {
            block_pc: entry.pc,
            instret: entry.instret,
            guest: meta.guest.clone(),
            host_addr: code,
            host_code: meta.host.clone(),
            jit_exit: match r & 0xff {
                exit::RETURN => "return to the dispatcher",
                exit::EXCEPTION => "exception",
                exit::LOOKUP => "jump-cache miss",
                exit::CHAIN => "direct exit (chain slot)",
                exit::SLOW => "memory slow path",
                exit::MISS => "switch target outside the region",
                exit::FP => "floating-point slow path",
                _ => "unknown exit code",
            },
            jit_insns: got_n,
            interp_trace: rep.trace.into_iter().take(trace_len).collect(),
            interp_end: rep.end.text(done),
            diffs,
        }));
        self.ctx
            .requests
            .fetch_or(REQ_EXIT, std::sync::atomic::Ordering::Relaxed);
        Ok(r)
    }

    /// Turns lockstep verification on (see the module documentation): from now on every entry
    /// into translated code made by [`JitEngine::run`] is checked against the interpreter,
    /// without chaining. Blocks translated before are run unchecked.
    pub fn set_lockstep(&mut self, on: bool) {
        match (on, self.lockstep.is_some()) {
            (true, false) => self.lockstep = Some(Box::new(Lockstep::new())),
            (false, true) => self.lockstep = None,
            _ => {}
        }
    }

    /// The first difference lockstep verification found, if any (taken: the run may go on
    /// after it, unchecked, if the caller wants).
    pub fn take_mismatch(&mut self) -> Option<Box<Mismatch>> {
        self.lockstep.as_mut().and_then(|l| l.failure.take())
    }

    /// Whether lockstep verification found a difference (the dispatcher then stops).
    pub(super) fn lockstep_failed(&self) -> bool {
        self.lockstep.as_ref().is_some_and(|l| l.failure.is_some())
    }
}
