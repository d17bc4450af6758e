//! The Cranelift emitter: instruction semantics (written once against [`Emitter`]) lowered to
//! Cranelift IR, one IR function per guest block.
//!
//! Function shape (ABI documented in `jit/mod.rs`): `tail fn(cpu: i64, ctx: i64) -> i64`.
//! Guest registers are loaded from [`CpuState`] on first use, kept as SSA values for the rest
//! of the block, and the ones written are stored back once, at each exit. The guest control
//! flow inside a block is linear; the only IR control flow is the memory fast/slow-path diamond
//! (which joins back) and side exits (faults), so no SSA construction is needed: a register's
//! current value always dominates the rest of the block.
//!
//! Exits: a direct exit to a known pc loads the successor's code pointer from its chain slot and
//! tail-calls it (`return_call_indirect`) unless the slot is empty or the instruction budget is
//! spent; an indirect exit looks the target up in the jump cache inline; every other exit
//! returns an exit code to the dispatcher with `cpu.pc` and `cpu.instret` precise.

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::immediates::Imm64;
use cranelift_codegen::ir::types::{I128, I16, I32, I64, I8};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, BlockCall, Endianness, Function, InstBuilder, InstructionData,
    JumpTableData, MemFlagsData, Opcode, SigRef, Signature, TrapCode, UserFuncName, Value,
    ValueDef,
};
use cranelift_codegen::isa::CallConv;

use crate::emit::{AmoOp, BinOp, Cond, CsrOp, Emitter, FenceKind, Helper, SystemOp, UnOp, Width};
use crate::interp::{FastMem, SoftTlb};
use crate::{Cause, CpuState, Exception};

use super::probe::Probe;
use super::window::Window;
use super::{exit, JitCtx};

// Floating-point fast paths (a child module: it builds IR with the emitter's private state).
#[path = "fp.rs"]
mod fp;

/// Addresses of the engine's Rust helpers for one `Env` type (all `extern "C" fn(*mut JitCtx,
/// u64, u64, u64) -> u64`; see `jit/mod.rs`).
#[derive(Clone, Copy, Debug)]
pub struct HelperAddrs {
    pub load: usize,
    pub store: usize,
    pub lr: usize,
    pub sc: usize,
    pub amo: usize,
    pub csr: usize,
    pub fence_i: usize,
    /// `Env::system` (privileged instructions).
    pub system: usize,
    /// `Env::fp_enabled`, or 0 when the environment's FP unit is always on (no call emitted).
    pub fp_enabled: usize,
}

/// Everything the emitter needs to know about the engine, fixed while a translation runs.
#[derive(Clone, Copy, Debug)]
pub struct Lowering {
    /// Calling convention of Rust `extern "C"` functions on the host.
    pub host_cc: CallConv,
    pub fast: Option<FastMem>,
    /// The environment's software TLB, probed inline when there is no `fast` memory.
    pub tlb: Option<SoftTlb>,
    /// A miss of the inline fast path leaves the block ([`exit::SLOW`]: the dispatcher runs the
    /// access in the interpreter) instead of calling the load/store helper (which the
    /// synthetic single-instruction translations of tests need: there is no guest code for the
    /// interpreter to run).
    pub slow_exit: bool,
    /// Loads outside access windows are checked by the host MMU: only the guest address
    /// space's bound inline, with the bound check's branch as the landing pad of a host fault
    /// (see [`super::fault`]). Needs `fast` memory whose environment keeps host protections in
    /// step ([`FastMem::host_loads`]), `slow_exit`, and code memory with a site map.
    pub host_loads: bool,
    /// The same for stores ([`FastMem::host_stores`]).
    pub host_stores: bool,
    pub helpers: HelperAddrs,
    /// Address of the chain-slot array (one `u64` code pointer per slot, 0 when unlinked).
    pub slots: usize,
    /// Index mask of the jump cache (`[pc: u64, code: u64]` entries), which is the running
    /// thread's own: its address is read from the context ([`JitCtx`]'s `jc`).
    pub jc_mask: u64,
}

fn off_x(r: usize) -> i32 {
    (std::mem::offset_of!(CpuState, x) + 8 * r) as i32
}
fn off_f(r: usize) -> i32 {
    (std::mem::offset_of!(CpuState, f) + 8 * r) as i32
}
const OFF_PC: i32 = std::mem::offset_of!(CpuState, pc) as i32;
const OFF_INSTRET: i32 = std::mem::offset_of!(CpuState, instret) as i32;
const OFF_PENDING: i32 = std::mem::offset_of!(CpuState, pending) as i32;
const OFF_PENDING_TVAL: i32 = std::mem::offset_of!(CpuState, pending_tval) as i32;
/// Most likely targets a computed jump compares its target with one by one; more (a
/// `switch`) index a table ([`ClifEmitter::switch`]).
const MAX_COMPARED_SITES: usize = 4;
/// Most entries of such a table: half the distance between the first and last target.
const MAX_SWITCH_SPAN: u64 = 1024;
const OFF_STOP_AT: i32 = std::mem::offset_of!(CpuState, stop_at) as i32;
const OFF_JC: i32 = std::mem::offset_of!(JitCtx, jc) as i32;

/// Flags for accesses to the CPU state, the context and engine tables: aligned, never trapping.
fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags for guest memory accessed inline: checked beforehand (cannot trap), maybe unaligned,
/// little-endian whatever the host.
fn guest() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(Endianness::Little)
}

/// The block-function signature: `tail fn(cpu, ctx) -> exit code`.
pub fn block_signature() -> Signature {
    let mut s = Signature::new(CallConv::Tail);
    s.params.push(AbiParam::new(I64));
    s.params.push(AbiParam::new(I64));
    s.returns.push(AbiParam::new(I64));
    s
}

/// The helper signature: `extern "C" fn(p, a, b, c) -> u64`.
pub fn helper_signature(cc: CallConv) -> Signature {
    let mut s = Signature::new(cc);
    for _ in 0..4 {
        s.params.push(AbiParam::new(I64));
    }
    s.returns.push(AbiParam::new(I64));
    s
}

/// Builds the IR of one guest block.
pub struct ClifEmitter {
    pub func: Function,
    low: Lowering,
    cur: Block,
    cpu: Value,
    ctx: Value,
    instret0: Value,
    block_sig: SigRef,
    helper_sig: SigRef,
    /// Current SSA value of x0..x31 (index r) and f0..f31 (index 32 + r), if loaded or written.
    regs: [Option<Value>; 64],
    /// Registers written in this block (stored back at exits).
    dirty: u64,
    pc: u64,
    len: u64,
    /// Index of the instruction being translated in its block.
    n: u64,
    /// The block ended (branch or jump emitted).
    pub ended: bool,
    /// Exits of this block must return to the dispatcher (after `fence.i`).
    no_chain: bool,
    /// The current guest block called a helper that polls the environment (stores, CSRs,
    /// AMOs, system instructions): its in-region edges check the budget, forward ones too.
    polled: bool,
    /// 0/1 values made by `cmp`, with the flag value they came from (to branch on it directly).
    conds: Vec<(Value, Value)>,
    /// Values of this instruction known to be nonzero: `select(x == 0, k, x)` with a nonzero
    /// constant `k`, the safe divisor the division semantics build (a division by one of
    /// them needs no guard).
    nonzero: Vec<Value>,
    /// Inline accesses of this guest block so far, as (base, store, address): every path past
    /// such an access checked the page of `address` for that kind of access, so a later one
    /// from the same base register value (`address = base + constant`) first compares pages
    /// and skips the permission check when it is the same page. Cleared at each guest block
    /// and by helper calls (which may change permissions).
    checked: Vec<(Value, bool, Value)>,
    /// The 64-bit multiplications of the current guest block, as (operands, instruction): a
    /// high-half multiplication of the same operands later in the block turns the pair into
    /// one widening multiply ([`ClifEmitter::mul_high`]). Cleared at each guest block.
    muls: Vec<(Value, Value, cranelift_codegen::ir::Inst)>,
    /// The host-checked loads and stores emitted so far (see [`Lowering::host_loads`]).
    pub host_sites: Vec<HostSite>,
    /// The tests of the CPU state that the floating-point fast paths of the current guest
    /// block share (see [`super::fp`]): `fflags` has NX accrued; NX accrued and `frm` is 0
    /// (RNE, for dynamic rounding). The first fast path that needs one computes it. Those
    /// fields only change through CSR writes, so a test that holds holds for the rest of the
    /// block: cleared at each guest block and by helper calls other than the floating-point
    /// ones (which only accrue flags).
    pub(super) fp_nx: Option<Value>,
    pub(super) fp_nx_rne: Option<Value>,
    /// The access windows of the current guest block (see [`super::window`]), by address.
    windows: Vec<(u64, Window)>,
    /// Groups of `windows` whose window every path here has checked. Cleared at each guest
    /// block and by helper calls, as `checked`.
    windows_ok: Vec<u32>,
    /// Chain slots this block uses (next free index, limit).
    pub next_slot: u32,
    slot_limit: u32,
    /// The region's guest blocks; empty for a single-block translation.
    region: Vec<RegionBlock>,
    /// Likely targets inside the region of the computed jumps ending region blocks, as
    /// (block, target) pairs: a return to a call of the region, the callee a computed call
    /// went to last. The jump continues there inside the region when its target matches.
    jump_sites: Vec<(u64, u64)>,
    /// Index in `region` of the block being emitted.
    cur_idx: usize,
    /// The divisor each division instruction last had in the interpreter, as (address,
    /// divisor) (see [`ClifEmitter::set_divisors`]).
    divisors: Vec<(u64, u64)>,
    /// Divisions emitted specialised for such a divisor.
    pub divisions_specialised: u32,
    /// Computed jumps emitted as a table of their likely targets.
    pub switch_tables: u32,
    /// The region blocks that end in a switch (a computed jump neither a call nor a return).
    switches: Vec<u64>,
    /// The switches' chain slots that report a target outside the region ([`exit::MISS`]),
    /// with the address of their jump.
    pub miss_slots: Vec<(u32, u64)>,
    /// Floating-point operations leave the region when their fast path's test fails
    /// ([`exit::FP`]) instead of calling their helper (see [`ClifEmitter::set_fp_exits`]).
    fp_exits: bool,
    /// The chain slot identifying this translation in those exits, once one is emitted.
    pub fp_slot: Option<u32>,
}

/// What [`ClifEmitter::new`] needs to lay out a region: the [`Probe`] of all its
/// instructions, and for each of its blocks (the entry's first) the guest address, the mask
/// of registers some path from the entry may have written before it, and the mask of
/// registers read by the blocks of the loops it is on (0 off loops).
pub type RegionPlan<'a> = (&'a Probe, &'a [(u64, u64, u64)]);

/// Where an inline guest access may be done: (IR block, host address) pairs.
type InlinePaths = Vec<(Block, Value)>;

/// One guest block of a region.
struct RegionBlock {
    pc: u64,
    block: Block,
    /// Registers some path from the region's entry may have written before this block, and
    /// on a loop, those the loop reads: the IR block takes the instruction count at its start
    /// followed by their values (in index order), so a loop keeps them in host registers (an
    /// edge from outside loads the clean ones from the CPU state). The others still hold
    /// their entry values in the CPU state and are loaded where a block first uses them.
    carried: Vec<usize>,
    /// The written ones (as a mask): every exit of this block stores them back.
    dirty: u64,
}

impl ClifEmitter {
    /// Starts the IR function for a translation entered at `pc`; `next_slot..slot_limit` are
    /// the chain slots it may take. With `region` ([`RegionPlan`]), the translation is a region of guest
    /// blocks that branch to each other inside one function (see
    /// [`ClifEmitter::begin_block`]); without, it is one straight-line block whose registers
    /// are loaded on first use.
    pub fn new(
        low: Lowering,
        pc: u64,
        next_slot: u32,
        slot_limit: u32,
        region: Option<RegionPlan<'_>>,
    ) -> Self {
        let mut func = Function::with_name_signature(UserFuncName::default(), block_signature());
        let block_sig = func.import_signature(block_signature());
        let helper_sig = func.import_signature(helper_signature(low.host_cc));
        let entry = func.dfg.make_block();
        func.layout.append_block(entry);
        let cpu = func.dfg.append_block_param(entry, I64);
        let ctx = func.dfg.append_block_param(entry, I64);
        let instret0 = FuncCursor::new(&mut func).at_bottom(entry).ins().load(
            I64,
            trusted(),
            cpu,
            OFF_INSTRET,
        );
        let mut e = Self {
            func,
            low,
            cur: entry,
            cpu,
            ctx,
            instret0,
            block_sig,
            helper_sig,
            regs: [None; 64],
            dirty: 0,
            pc,
            len: 4,
            n: 0,
            ended: false,
            no_chain: false,
            polled: false,
            conds: Vec::new(),
            nonzero: Vec::new(),
            checked: Vec::new(),
            muls: Vec::new(),
            host_sites: Vec::new(),
            fp_nx: None,
            fp_nx_rne: None,
            windows: Vec::new(),
            windows_ok: Vec::new(),
            next_slot,
            slot_limit,
            region: Vec::new(),
            jump_sites: Vec::new(),
            cur_idx: 0,
            divisors: Vec::new(),
            divisions_specialised: 0,
            switch_tables: 0,
            switches: Vec::new(),
            miss_slots: Vec::new(),
            fp_exits: false,
            fp_slot: None,
        };
        if let Some((p, starts)) = region.filter(|(p, s)| !p.fence_i && !s.is_empty()) {
            e.open_region(p, starts);
        }
        e
    }

    /// Sets up a region: the registers a path may have written before a region block and
    /// those its loops read (with the instruction count) become that block's parameters, so
    /// branches between them (loops included) stay in host registers and exits store back
    /// only what may have changed.
    fn open_region(&mut self, p: &Probe, starts: &[(u64, u64, u64)]) {
        let used = (p.read | p.written) & !1;
        for &(pc, dirty, loop_reads) in starts {
            let dirty = dirty & used;
            let carry = (dirty | loop_reads) & used;
            let b = self.func.dfg.make_block();
            self.func.layout.append_block(b);
            self.func.dfg.append_block_param(b, I64);
            let carried: Vec<usize> = (0..64).filter(|i| carry >> i & 1 != 0).collect();
            for _ in 0..carried.len() {
                self.func.dfg.append_block_param(b, I64);
            }
            self.region.push(RegionBlock {
                pc,
                block: b,
                carried,
                dirty,
            });
        }
        let mut args = vec![BlockArg::Value(self.instret0)];
        for idx in self.region[0].carried.clone() {
            let v = self.reg_slot(idx);
            args.push(BlockArg::Value(v));
        }
        let first = self.region[0].block;
        self.cursor().ins().jump(first, &args);
        self.ended = true;
        self.dead_end();
    }

    /// Starts emitting the region block for guest address `pc` (one of the `starts` given to
    /// [`ClifEmitter::new`]); the previous block must have ended. Returns false (and emits
    /// nothing) for an address that is not a region block.
    pub fn begin_block(&mut self, pc: u64) -> bool {
        let Some(i) = self.region_index(pc) else {
            return false;
        };
        let b = self.region[i].block;
        if self.ended {
            // Terminate the dead block the previous guest block left behind.
            self.ret(exit::RETURN);
        }
        self.cur = b;
        self.ended = false;
        self.no_chain = false;
        self.polled = false;
        let params = self.func.dfg.block_params(b).to_vec();
        self.instret0 = params[0];
        // Registers no path to this block wrote still hold their entry values in the CPU
        // state: unless its loops carry them, the block loads them where it first uses them,
        // so they are not kept live (in host registers or spill slots) across the region.
        self.regs = [None; 64];
        for (&idx, &v) in self.region[i].carried.iter().zip(&params[1..]) {
            self.regs[idx] = Some(v);
        }
        self.dirty = self.region[i].dirty;
        self.cur_idx = i;
        self.checked.clear();
        self.muls.clear();
        self.windows_ok.clear();
        self.fp_nx = None;
        self.fp_nx_rne = None;
        true
    }

    /// Whether loads and stores may be checked by the host MMU ([`super::fault`]).
    pub fn host_checks(&self) -> bool {
        self.low.host_loads && self.low.host_stores
    }

    /// Sets the access windows of the guest block about to be emitted ([`super::window::plan`]).
    pub fn set_windows(&mut self, windows: Vec<(u64, Window)>) {
        self.windows = windows;
        self.windows_ok.clear();
    }

    /// Sets the likely in-region targets of the computed jumps ending region blocks, as
    /// (block, target) pairs ([`ClifEmitter::jump`] compares its target with each before
    /// leaving the region).
    /// `switches` are the blocks whose jump is a switch: the region's code reports where
    /// else they go ([`ClifEmitter::switch_miss`]).
    pub fn set_jump_sites(&mut self, sites: Vec<(u64, u64)>, switches: Vec<u64>) {
        self.jump_sites = sites;
        self.switches = switches;
    }

    /// Whether the floating-point operations with an inline fast path leave the region for
    /// the interpreter when its test fails ([`exit::FP`]), rather than call their helper and
    /// go on. A call anywhere in a function makes the register allocator keep FP values
    /// live across it in memory (every host FP register is caller-saved), even when the
    /// call is in a cold block; exits keep the hot path free of calls. The dispatcher
    /// counts the exits and translates a region whose operations leave too often again
    /// with the calls. Only with `slow_exit` (there must be guest code to interpret).
    pub fn set_fp_exits(&mut self, on: bool) {
        self.fp_exits = on && self.low.slow_exit;
    }

    /// The divisors the interpreter last saw, as (instruction address, divisor passed to the
    /// division of the semantics): a division at such an address whose divisor is that value
    /// again divides by it as a constant (see [`ClifEmitter::divide_speculating`]).
    pub fn set_divisors(&mut self, divisors: Vec<(u64, u64)>) {
        self.divisors = divisors;
    }

    /// The divisor the interpreter last saw at this instruction, for a division `op` that
    /// dividing by a constant makes cheaper: not 0 or 1 (nor -1 or the most negative value,
    /// signed, which have nothing to gain or no reciprocal).
    fn divisor_hint(&self, op: BinOp) -> Option<u64> {
        let signed = match op {
            BinOp::DivU | BinOp::RemU => false,
            BinOp::DivS | BinOp::RemS => true,
            _ => return None,
        };
        let &(_, d) = self.divisors.iter().find(|&&(at, _)| at == self.pc)?;
        let useful = if signed {
            !matches!(d as i64, -1..=1 | i64::MIN)
        } else {
            d > 1
        };
        useful.then_some(d)
    }

    /// Division `op` of `a` by the safe (never zero, never `MIN / -1`) divisor `b`, which the
    /// interpreter last saw as `d` at this instruction: a loop-invariant divisor in a
    /// register (compilers hoist constants so) is most likely `d` again. When it is, the
    /// quotient or remainder is by the constant `d`, which Cranelift computes with a
    /// multiplication by its reciprocal and shifts (tens of cycles less than a `div` on
    /// x86-64); any other divisor divides by the register, off the hot path.
    fn divide_speculating(
        &mut self,
        op: BinOp,
        a: Value,
        b: Value,
        d: u64,
        safe_divisor: bool,
    ) -> Value {
        let same = self.cursor().ins().icmp_imm_s(IntCC::Equal, b, d as i64);
        let by_d = self.new_block(false);
        let other = self.new_block(true);
        let join = self.new_block(false);
        let r = self.func.dfg.append_block_param(join, I64);
        self.cursor().ins().brif(same, by_d, &[], other, &[]);
        // (`d` is neither 0 nor, signed, -1: dividing by it needs no guard, and the guard of
        // a signed division folds away.)
        self.cur = by_d;
        let k = self.iconst(d);
        let q = self.divide(op, a, k, true);
        self.cursor().ins().jump(join, &[BlockArg::Value(q)]);
        self.cur = other;
        let q = self.divide(op, a, b, safe_divisor);
        self.cursor().ins().jump(join, &[BlockArg::Value(q)]);
        self.cur = join;
        self.divisions_specialised += 1;
        r
    }

    /// Division `op` (`DivU`, `RemU`, `DivS` or `RemS`) of `a` by `b`; `safe` when `b` is
    /// known not to be zero, which spares an unsigned division its guard. (A signed one keeps
    /// it: `MIN / -1` traps on x86-64. Cranelift folds it away for a constant divisor.)
    fn divide(&mut self, op: BinOp, a: Value, b: Value, safe: bool) -> Value {
        let mut c = self.cursor();
        let i = c.ins();
        match op {
            // The semantics never divide by zero or MIN / -1 (emit.rs); the guards keep the
            // host from trapping anyway, with the interpreter's fallback results.
            // The divisor the semantics made safe (`select(b == 0, 1, b)`): no guard.
            BinOp::DivU if safe => i.udiv(a, b),
            BinOp::RemU if safe => i.urem(a, b),
            BinOp::DivU | BinOp::RemU => {
                let z = i.icmp_imm_s(IntCC::Equal, b, 0);
                let one = c.ins().iconst(I64, 1);
                let d = c.ins().select(z, one, b);
                if op == BinOp::DivU {
                    let q = c.ins().udiv(a, d);
                    let m = c.ins().iconst(I64, -1);
                    c.ins().select(z, m, q)
                } else {
                    let r = c.ins().urem(a, d);
                    c.ins().select(z, a, r)
                }
            }
            BinOp::DivS | BinOp::RemS => {
                let z = i.icmp_imm_s(IntCC::Equal, b, 0);
                let am = c.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                let bm = c.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let ov = c.ins().band(am, bm);
                let bad = c.ins().bor(z, ov);
                let one = c.ins().iconst(I64, 1);
                let d = c.ins().select(bad, one, b);
                if op == BinOp::DivS {
                    let q = c.ins().sdiv(a, d);
                    let m = c.ins().iconst(I64, -1);
                    c.ins().select(bad, m, q)
                } else {
                    let r = c.ins().srem(a, d);
                    c.ins().select(bad, a, r)
                }
            }
            _ => unreachable!("not a division: {op:?}"),
        }
    }

    /// The index in `region` of region block `pc`, if any.
    fn region_index(&self, pc: u64) -> Option<usize> {
        self.region.iter().position(|r| r.pc == pc)
    }

    /// Positions the emitter at instruction `n` of the block (address `pc`, length `len`).
    pub fn begin_insn(&mut self, n: u64, pc: u64, len: u64) {
        self.n = n;
        self.pc = pc;
        self.len = len;
        self.conds.clear();
        self.nonzero.clear();
    }

    fn cursor(&mut self) -> FuncCursor<'_> {
        let cur = self.cur;
        FuncCursor::new(&mut self.func).at_bottom(cur)
    }

    fn new_block(&mut self, cold: bool) -> Block {
        let b = self.func.dfg.make_block();
        self.func.layout.append_block(b);
        if cold {
            self.func.layout.set_cold(b);
        }
        b
    }

    fn iconst(&mut self, v: u64) -> Value {
        self.cursor().ins().iconst(I64, Imm64::new(v as i64))
    }

    fn const_of(&self, v: Value) -> Option<u64> {
        if let ValueDef::Result(inst, 0) = self.func.dfg.value_def(v) {
            if let InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } = self.func.dfg.insts[inst]
            {
                return Some(imm.bits() as u64);
            }
        }
        None
    }

    /// `(x, c)` when `addr` is `x + c` for a constant `c`.
    fn split_offset(&self, addr: Value) -> Option<(Value, i64)> {
        if let ValueDef::Result(inst, 0) = self.func.dfg.value_def(addr) {
            if let InstructionData::Binary {
                opcode: Opcode::Iadd,
                args: [x, y],
            } = self.func.dfg.insts[inst]
            {
                return Some((x, self.const_of(y)? as i64));
            }
        }
        None
    }

    /// The register value a guest address is computed from: `x` for `x + constant`, else the
    /// address itself.
    fn base_of(&self, addr: Value) -> Value {
        if let ValueDef::Result(inst, 0) = self.func.dfg.value_def(addr) {
            if let InstructionData::Binary {
                opcode: Opcode::Iadd,
                args: [x, y],
            } = self.func.dfg.insts[inst]
            {
                if self.const_of(y).is_some() {
                    return x;
                }
            }
        }
        addr
    }

    /// Whether `flag` is `icmp eq x, 0` (either operand order).
    fn is_zero_test_of(&self, flag: Value, x: Value) -> bool {
        let ValueDef::Result(inst, 0) = self.func.dfg.value_def(flag) else {
            return false;
        };
        let InstructionData::IntCompare {
            opcode: Opcode::Icmp,
            cond: IntCC::Equal,
            args: [a, b],
        } = self.func.dfg.insts[inst]
        else {
            return false;
        };
        (a == x && self.const_of(b) == Some(0)) || (b == x && self.const_of(a) == Some(0))
    }

    /// A flag (i8, nonzero = true) for a 0/1 or any nonzero-is-true value.
    fn flag(&mut self, c: Value) -> Value {
        if let Some(&(_, f)) = self.conds.iter().find(|(v, _)| *v == c) {
            return f;
        }
        self.cursor().ins().icmp_imm_s(IntCC::NotEqual, c, 0)
    }

    fn reg_slot(&mut self, idx: usize) -> Value {
        if let Some(v) = self.regs[idx] {
            return v;
        }
        let v = self.load_reg(idx);
        self.regs[idx] = Some(v);
        v
    }

    /// Loads register `idx` (x0..x31, then f0..f31) from the CPU state.
    fn load_reg(&mut self, idx: usize) -> Value {
        let off = if idx < 32 {
            off_x(idx)
        } else {
            off_f(idx - 32)
        };
        let cpu = self.cpu;
        self.cursor().ins().load(I64, trusted(), cpu, off)
    }

    fn set_reg_slot(&mut self, idx: usize, v: Value) {
        self.regs[idx] = Some(v);
        self.dirty |= 1 << idx;
    }

    /// Stores the registers written so far and `instret` after `count` instructions of this
    /// block, in the current IR block.
    fn write_back(&mut self, count: u64) -> Value {
        let (cpu, i0) = (self.cpu, self.instret0);
        let mut d = self.dirty;
        while d != 0 {
            let idx = d.trailing_zeros() as usize;
            d &= d - 1;
            let off = if idx < 32 {
                off_x(idx)
            } else {
                off_f(idx - 32)
            };
            let Some(v) = self.regs[idx] else { continue };
            self.cursor().ins().store(trusted(), v, cpu, off);
        }
        let mut c = self.cursor();
        let n = c.ins().iadd_imm_s(i0, count as i64);
        c.ins().store(trusted(), n, cpu, OFF_INSTRET);
        n
    }

    fn ret(&mut self, code: u64) {
        let v = self.iconst(code);
        self.cursor().ins().return_(&[v]);
    }

    fn store_pc(&mut self, pc: Value) {
        let cpu = self.cpu;
        self.cursor().ins().store(trusted(), pc, cpu, OFF_PC);
    }

    /// Continues in a fresh block nobody jumps to (after the block's final exit), so anything
    /// the semantics might still emit is well-formed dead code.
    fn dead_end(&mut self) {
        self.cur = self.new_block(true);
    }

    /// Exit in the current IR block to the known guest address `target` after `count`
    /// instructions: chained through a slot when allowed, else back to the dispatcher.
    fn exit_direct(&mut self, target: u64, count: u64) {
        let inside = self.region_index(target).filter(|&j| {
            // A register written here that the target block does not carry (cannot happen:
            // its dirty set covers every path's) would lose its value on an in-region edge;
            // exit instead.
            !self.no_chain && self.dirty & !self.region[j].dirty == 0
        });
        if let Some(j) = inside {
            // An edge inside the region: continue in host registers. The budget (and a stop
            // request from another thread) is checked on back edges (to a block not after this
            // one in region order), which every loop takes: a run of forward edges is at most
            // the region long, so translated code stops within one region of where the
            // interpreter would.
            let b = self.region[j].block;
            let carried = self.region[j].carried.clone();
            let mut args = Vec::with_capacity(carried.len() + 1);
            let i0 = self.instret0;
            let mut c = FuncCursor::new(&mut self.func).at_bottom(self.cur);
            let newi = c.ins().iadd_imm_s(i0, count as i64);
            args.push(BlockArg::Value(newi));
            for idx in carried {
                // Not cached in `regs`: this may be a branch's taken path, which does not
                // dominate the rest of the block.
                let v = match self.regs[idx] {
                    Some(v) => v,
                    None => self.load_reg(idx),
                };
                args.push(BlockArg::Value(v));
            }
            // After a helper that may have asked for a stop (a CSR write enabling an
            // interrupt, an MMIO store), check at once, as at the end of a block.
            if j > self.cur_idx && !self.polled {
                self.cursor().ins().jump(b, &args);
                return;
            }
            let cpu = self.cpu;
            let mut c = self.cursor();
            let stop = c.ins().load(I64, trusted(), cpu, OFF_STOP_AT);
            let under = c.ins().icmp(IntCC::UnsignedLessThan, newi, stop);
            let out = self.new_block(true);
            self.cursor().ins().brif(under, b, &args, out, &[]);
            self.cur = out;
        }
        let newi = self.write_back(count);
        if self.no_chain || self.next_slot >= self.slot_limit {
            let t = self.iconst(target);
            self.store_pc(t);
            self.ret(exit::RETURN);
            return;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        let slot_addr = self.low.slots as u64 + 8 * slot as u64;
        let ctx = self.ctx;
        let miss = self.new_block(true);
        let linked = self.new_block(false);
        let go = self.new_block(false);
        let mut c = self.cursor();
        let sa = c.ins().iconst(I64, Imm64::new(slot_addr as i64));
        let code = c.ins().load(I64, trusted(), sa, 0);
        c.ins().brif(code, linked, &[], miss, &[]);
        self.cur = linked;
        let cpu = self.cpu;
        let mut c = self.cursor();
        let stop = c.ins().load(I64, trusted(), cpu, OFF_STOP_AT);
        let under = c.ins().icmp(IntCC::UnsignedLessThan, newi, stop);
        c.ins().brif(under, go, &[], miss, &[]);
        self.cur = go;
        let (cpu, sig) = (self.cpu, self.block_sig);
        self.cursor()
            .ins()
            .return_call_indirect(sig, code, &[cpu, ctx]);
        self.cur = miss;
        let t = self.iconst(target);
        self.store_pc(t);
        self.ret(exit::CHAIN | (slot as u64) << 8);
    }

    /// A computed jump with more than [`MAX_COMPARED_SITES`] likely targets in the region
    /// (`sites`, in address order, a `switch`) indexes a table of them by its target's
    /// distance from the first, as the guest's own code indexed its table: an address that
    /// is not a site goes to the inline jump-cache lookup of [`ClifEmitter::exit_indirect`].
    /// False (and nothing emitted) for fewer sites or sites too far apart: the caller then
    /// compares with each.
    fn switch(&mut self, target: Value, sites: &[u64], count: u64) -> bool {
        let (Some(&lo), Some(&hi)) = (sites.first(), sites.last()) else {
            return false;
        };
        let span = hi.wrapping_sub(lo) >> 1;
        if sites.len() <= MAX_COMPARED_SITES || span >= MAX_SWITCH_SPAN {
            return false;
        }
        let default = self.new_block(true);
        let mut entries = Vec::with_capacity(span as usize + 1);
        let mut hits = Vec::with_capacity(sites.len());
        for k in 0..=span {
            let at = lo.wrapping_add(2 * k);
            let b = if sites.contains(&at) {
                let b = self.new_block(false);
                hits.push((b, at));
                b
            } else {
                default
            };
            entries.push(BlockCall::new(b, [], &mut self.func.dfg.value_lists));
        }
        let def = BlockCall::new(default, [], &mut self.func.dfg.value_lists);
        let table = self
            .func
            .create_jump_table(JumpTableData::new(def, &entries));
        let mut c = self.cursor();
        // Half the distance from the first site; an odd distance (not an instruction
        // address) rotates into the top bit, and anything past the last entry goes to the
        // table's default.
        let off = c.ins().iadd_imm_s(target, lo.wrapping_neg() as i64);
        let idx = c.ins().rotr_imm_s(off, 1);
        let limit = c.ins().iconst(I64, Imm64::new(span as i64 + 1));
        let idx = c.ins().umin(idx, limit);
        let idx = c.ins().ireduce(I32, idx);
        c.ins().br_table(idx, table);
        self.switch_tables += 1;
        for (b, at) in hits {
            self.cur = b;
            self.exit_direct(at, count);
        }
        self.cur = default;
        self.switch_miss(target, count);
        true
    }

    /// Exit of a computed jump to a target not in the region: for a switch, back to the
    /// dispatcher with [`exit::MISS`] while its chain slot is 0 (the dispatcher records the
    /// target, for a translation again with it inside, and sets the slot when it has seen
    /// enough); otherwise, and for other jumps, the inline jump-cache lookup.
    fn switch_miss(&mut self, target: Value, count: u64) {
        let here = self.region.get(self.cur_idx).map(|r| r.pc);
        if self.no_chain
            || self.next_slot >= self.slot_limit
            || !here.is_some_and(|h| self.switches.contains(&h))
        {
            self.exit_indirect(target, count);
            return;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.miss_slots.push((slot, self.pc));
        let report = self.new_block(true);
        let lookup = self.new_block(true);
        let slot_addr = self.low.slots as u64 + 8 * slot as u64;
        let mut c = self.cursor();
        let sa = c.ins().iconst(I64, Imm64::new(slot_addr as i64));
        let seen = c.ins().load(I64, trusted(), sa, 0);
        c.ins().brif(seen, lookup, &[], report, &[]);
        self.cur = report;
        self.write_back(count);
        self.store_pc(target);
        self.ret(exit::MISS | (slot as u64) << 8);
        self.cur = lookup;
        self.exit_indirect(target, count);
    }

    /// Exit to a computed guest address: inline jump-cache lookup, tail call on a hit.
    fn exit_indirect(&mut self, target: Value, count: u64) {
        let newi = self.write_back(count);
        self.store_pc(target);
        if self.no_chain {
            self.ret(exit::RETURN);
            return;
        }
        let (ctx, cpu) = (self.ctx, self.cpu);
        let mask = self.low.jc_mask as i64;
        let miss = self.new_block(true);
        let go = self.new_block(false);
        let mut c = self.cursor();
        let h = c.ins().ushr_imm_s(target, 1);
        let h = c.ins().band_imm_s(h, mask);
        let h = c.ins().ishl_imm_s(h, 4);
        let jc = c.ins().load(I64, trusted(), ctx, OFF_JC);
        let e = c.ins().iadd(h, jc);
        let tag = c.ins().load(I64, trusted(), e, 0);
        let code = c.ins().load(I64, trusted(), e, 8);
        let stop = c.ins().load(I64, trusted(), cpu, OFF_STOP_AT);
        let under = c.ins().icmp(IntCC::UnsignedLessThan, newi, stop);
        let hit = c.ins().icmp(IntCC::Equal, tag, target);
        let ok = c.ins().band(under, hit);
        c.ins().brif(ok, go, &[], miss, &[]);
        self.cur = go;
        let (cpu, sig) = (self.cpu, self.block_sig);
        self.cursor()
            .ins()
            .return_call_indirect(sig, code, &[cpu, ctx]);
        self.cur = miss;
        self.ret(exit::LOOKUP);
    }

    /// Exit with an exception at the current instruction. `pending` is already set in the CPU
    /// state when `exc` is `None` (a helper raised it).
    fn exit_exception(&mut self, exc: Option<Exception>) {
        let n = self.n;
        self.write_back(n);
        let pc = self.iconst(self.pc);
        self.store_pc(pc);
        if let Some(e) = exc {
            let cpu = self.cpu;
            let cause = self.iconst(e.cause as u64 + 1);
            let tval = self.iconst(e.tval);
            let mut c = self.cursor();
            c.ins().store(trusted(), cause, cpu, OFF_PENDING);
            c.ins().store(trusted(), tval, cpu, OFF_PENDING_TVAL);
        }
        self.ret(exit::EXCEPTION);
    }

    /// A load through the helper, with a side exit if it faults.
    fn load_helper(&mut self, addr: Value, w: Width, signed: bool) -> Value {
        let flags = self.ctx_args(width_code(w) | (signed as u64) << 8);
        let (ctx, zero) = (self.ctx, self.iconst(0));
        let r = self.call_helper(self.low.helpers.load, ctx, addr, flags, zero);
        self.check_pending();
        r
    }

    /// A store through the helper, with a side exit if it faults.
    fn store_helper(&mut self, addr: Value, val: Value, w: Width) {
        let ctx = self.ctx;
        let wc = self.ctx_args(width_code(w));
        self.polled = true;
        let r = self.call_helper(self.low.helpers.store, ctx, addr, val, wc);
        self.exit_if(r);
    }

    /// Ends the current block (the fast path's miss block) with an exit before the current
    /// instruction: the dispatcher runs it in the interpreter ([`exit::SLOW`]), which does the
    /// access through the environment (a fault, a store into a page holding code, a
    /// page-crossing access). Exiting instead of calling a helper keeps guest registers out of
    /// callee-saved host registers and stack slots in the hot path.
    fn exit_slow_here(&mut self) {
        self.exit_here(exit::SLOW);
    }

    /// Ends the current block with an exit before the current instruction with exit code
    /// `code`, the dispatcher to run the instruction in the interpreter.
    fn exit_here(&mut self, code: u64) {
        let n = self.n;
        self.write_back(n);
        let pc = self.iconst(self.pc);
        self.store_pc(pc);
        self.ret(code);
    }

    /// The chain slot that identifies this translation in its [`exit::FP`] exits (allocated
    /// at the first), or `None` when FP operations call their helpers instead.
    pub(super) fn fp_exit_slot(&mut self) -> Option<u32> {
        if !self.fp_exits {
            return None;
        }
        if self.fp_slot.is_none() && self.next_slot < self.slot_limit {
            self.fp_slot = Some(self.next_slot);
            self.next_slot += 1;
        }
        self.fp_slot
    }

    /// Ends the current block with an [`exit::FP`] exit before the current instruction.
    pub(super) fn exit_fp_here(&mut self, slot: u32) {
        self.exit_here(exit::FP | (slot as u64) << 8);
    }

    /// Ends the block with the static exception the semantics returned.
    pub fn finish_exception(&mut self, e: Exception) {
        self.exit_exception(Some(e));
        self.ended = true;
        self.dead_end();
    }

    /// Ends a block that ran off its end (no branch or jump) after `count` instructions.
    pub fn finish_fallthrough(&mut self, next_pc: u64, count: u64) {
        self.exit_direct(next_pc, count);
        self.ended = true;
        self.dead_end();
    }

    /// Terminates the trailing dead block; the function is then complete.
    pub fn finish(&mut self) {
        self.ret(exit::RETURN);
    }

    /// Calls a helper `f(p, a, b, c)` at address `addr`; returns its result.
    fn call_helper(&mut self, addr: usize, p: Value, a: Value, b: Value, c: Value) -> Value {
        self.checked.clear();
        self.windows_ok.clear();
        self.fp_nx = None;
        self.fp_nx_rne = None;
        let sig = self.helper_sig;
        let callee = self.iconst(addr as u64);
        let mut cur = self.cursor();
        let inst = cur.ins().call_indirect(sig, callee, &[p, a, b, c]);
        cur.func.dfg.inst_results(inst)[0]
    }

    /// After a helper that may raise: side exit if `cpu.pending` is set.
    fn check_pending(&mut self) {
        let cpu = self.cpu;
        let p = self.cursor().ins().load(I64, trusted(), cpu, OFF_PENDING);
        self.exit_if(p);
    }

    /// Side exit (pending exception at this instruction) when `cond` is nonzero.
    fn exit_if(&mut self, cond: Value) {
        let exc = self.new_block(true);
        let cont = self.new_block(false);
        self.cursor().ins().brif(cond, exc, &[], cont, &[]);
        self.cur = exc;
        self.exit_exception(None);
        self.cur = cont;
    }

    /// Inline permission check of the fast path: branches to `miss` unless the access may be
    /// done directly at `base + addr`, and continues in a new (fast-path) block. For accesses
    /// wider than a byte, the address is first rotated right by log2(width): an aligned
    /// address becomes `addr >> log2(width)`, a misaligned one gets its low bits at the top,
    /// so one page-number bound check also rejects misaligned (hence possibly page-crossing)
    /// accesses. `miss` then retries them with [`ClifEmitter::fast_check_full`].
    fn fast_check(&mut self, fm: &FastMem, addr: Value, w: Width, store: bool, miss: Block) {
        let shift = i64::from(FastMem::PAGE_SHIFT);
        let k = w.bytes().trailing_zeros() as i64;
        let pages = fm.pages() as i64;
        let inb = self.new_block(false);
        let mut c = self.cursor();
        let page = if k == 0 {
            c.ins().ushr_imm_s(addr, shift)
        } else {
            let r = c.ins().rotr_imm_s(addr, k);
            c.ins().ushr_imm_s(r, shift - k)
        };
        let out = c
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, page, pages);
        c.ins().brif(out, miss, &[], inb, &[]);
        self.cur = inb;
        self.perm_check(fm, page, store, miss);
    }

    /// The permission test of [`ClifEmitter::fast_check`] for page number `page` (inside the
    /// table): continues in a new block, or branches to `miss`.
    fn perm_check(&mut self, fm: &FastMem, page: Value, store: bool, miss: Block) {
        let (mask, want) = fm.store_test();
        let perms = fm.perms() as i64;
        let perm_ok = self.new_block(false);
        let mut c = self.cursor();
        let pa = c.ins().iadd_imm_s(page, perms);
        let p = c.ins().load(I8, trusted(), pa, 0);
        if store && mask != want {
            let m = c.ins().band_imm_s(p, mask as i64);
            let bad = c.ins().icmp_imm_s(IntCC::NotEqual, m, want as i64);
            c.ins().brif(bad, miss, &[], perm_ok, &[]);
        } else {
            let bit = if store { want } else { fm.read_bit() };
            let m = c.ins().band_imm_s(p, bit as i64);
            c.ins().brif(m, perm_ok, &[], miss, &[]);
        }
        self.cur = perm_ok;
    }

    /// The check of an access window ([`super::window`]) for the access at `addr`: the first
    /// and last page of `[addr + lo, addr + hi)` are inside the table and allow the group's
    /// kinds of access. Branches to `slow` otherwise; continues in a new block.
    fn window_check(&mut self, fm: &FastMem, addr: Value, w: &Window, slow: Block) {
        let shift = i64::from(FastMem::PAGE_SHIFT);
        let pages = fm.pages() as i64;
        let perms = fm.perms() as i64;
        // Bits both pages must have, and bits neither may have (a store's `code`, when the
        // store test is not a single bit).
        let (mask, want) = if w.store { fm.store_test() } else { (0, 0) };
        let read = if w.load { fm.read_bit() } else { 0 };
        let set = want | read;
        let clear = mask & !want;
        let inb = self.new_block(false);
        let ok = self.new_block(false);
        let mut c = self.cursor();
        let lo = c.ins().iadd_imm_s(addr, w.lo);
        let plo = c.ins().ushr_imm_s(lo, shift);
        // Only the first page is bound-checked: when it is inside the table, the window's
        // last page (at most 4095 bytes further, with no wrap-around so low) is at most the
        // page after the table's end, whose byte is the table's guard (zero: no access).
        debug_assert!(w.hi - w.lo <= FastMem::PAGE_SIZE as i64);
        let out = c
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, plo, pages);
        c.ins().brif(out, slow, &[], inb, &[]);
        self.cur = inb;
        let mut c = self.cursor();
        let hi = c.ins().iadd_imm_s(addr, w.hi - 1);
        let phi = c.ins().ushr_imm_s(hi, shift);
        let alo = c.ins().iadd_imm_s(plo, perms);
        let ahi = c.ins().iadd_imm_s(phi, perms);
        let p1 = c.ins().load(I8, trusted(), alo, 0);
        let p2 = c.ins().load(I8, trusted(), ahi, 0);
        let both = c.ins().band(p1, p2);
        let m = c.ins().band_imm_s(both, i64::from(set));
        let mut bad = c.ins().icmp_imm_s(IntCC::NotEqual, m, i64::from(set));
        if clear != 0 {
            let either = c.ins().bor(p1, p2);
            let m = c.ins().band_imm_s(either, i64::from(clear));
            let any = c.ins().icmp_imm_s(IntCC::NotEqual, m, 0);
            bad = c.ins().bor(bad, any);
        }
        c.ins().brif(bad, slow, &[], ok, &[]);
        self.cur = ok;
    }

    /// The second chance of a multi-byte access [`ClifEmitter::fast_check`] rejected (in the
    /// cold block it branched to): a misaligned access inside one permitted page is still done
    /// inline; anything else (outside the table, not permitted, crossing a page) branches to
    /// `slow`.
    fn fast_check_full(&mut self, fm: &FastMem, addr: Value, w: Width, store: bool, slow: Block) {
        let shift = i64::from(FastMem::PAGE_SHIFT);
        let size = FastMem::PAGE_SIZE as i64;
        let inb = self.new_block(true);
        let mut c = self.cursor();
        let o = c.ins().band_imm_s(addr, size - 1);
        let cross = c
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThan, o, size - w.bytes() as i64);
        let page = c.ins().ushr_imm_s(addr, shift);
        let out = c
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, page, fm.pages() as i64);
        let bad = c.ins().bor(cross, out);
        c.ins().brif(bad, slow, &[], inb, &[]);
        self.cur = inb;
        self.perm_check(fm, page, store, slow);
        self.func.layout.set_cold(self.cur);
    }

    /// Inline probe of the software TLB: branches to `slow` unless the entry for `addr`'s page
    /// in the current load (or store) table matches and `addr` is aligned; continues in a new
    /// block and returns the host address.
    fn tlb_check(&mut self, t: &SoftTlb, addr: Value, w: Width, store: bool, slow: Block) -> Value {
        let hit = self.new_block(false);
        let cur = self.iconst(t.current() as u64 + if store { 8 } else { 0 });
        let mut c = self.cursor();
        let table = c.ins().load(I64, trusted(), cur, 0);
        let vpn = c.ins().ushr_imm_s(addr, 12);
        let idx = c.ins().band_imm_s(vpn, t.mask() as i64);
        let off = c.ins().ishl_imm_s(idx, 4);
        let entry = c.ins().iadd(table, off);
        let tag = c.ins().load(I64, trusted(), entry, 0);
        let want = c.ins().band_imm_s(addr, !(0xfff ^ (w.bytes() as i64 - 1)));
        let miss = c.ins().icmp(IntCC::NotEqual, tag, want);
        c.ins().brif(miss, slow, &[], hit, &[]);
        self.cur = hit;
        let mut c = self.cursor();
        let addend = c.ins().load(I64, trusted(), entry, 8);
        c.ins().iadd(addr, addend)
    }

    /// The inline paths of a guest access, when the environment offers them: checks (fast
    /// memory or software TLB) that end in blocks where the access may be done at a host
    /// address, as `(block, host address)` pairs (the fast path first; the caller emits the
    /// access at the end of each and joins them), the miss block, and whether a miss leaves the
    /// block ([`exit::SLOW`]) rather than calling the helper (the software TLB's misses always
    /// call it: that is how its entries get filled). Leaves the cursor in the fast path.
    fn inline_access(
        &mut self,
        addr: Value,
        w: Width,
        store: bool,
    ) -> Option<(InlinePaths, Block, bool)> {
        if let Some(fm) = self.low.fast {
            let slow = self.new_block(true);
            let pc = self.pc;
            let window = self
                .windows
                .binary_search_by_key(&pc, |w| w.0)
                .ok()
                .map(|i| self.windows[i].1)
                // A failed window check must leave the block (the accesses after it skip
                // their checks).
                .filter(|_| self.low.slow_exit);
            if let Some(w) = window {
                if !self.windows_ok.contains(&w.group) {
                    self.window_check(&fm, addr, &w, slow);
                    self.windows_ok.push(w.group);
                }
                let host = self.host_address(&fm, addr);
                return Some((vec![(self.cur, host)], slow, true));
            }
            let mut paths = Vec::with_capacity(3);
            let base = self.base_of(addr);
            let prev = self
                .checked
                .iter()
                .rev()
                .find(|&&(b, s, _)| b == base && s == store)
                .map(|&(_, _, a)| a);
            if let Some(prev) = prev {
                // Same page as `prev` (and, wider than a byte, aligned: then it cannot cross
                // into the next page): no permission check.
                let quick = self.new_block(false);
                let full = self.new_block(false);
                let k = w.bytes().trailing_zeros() as i64;
                let mut c = self.cursor();
                let mut x = c.ins().bxor(addr, prev);
                if k > 0 {
                    let low = c.ins().ishl_imm_s(addr, 64 - k);
                    x = c.ins().bor(x, low);
                }
                let same =
                    c.ins()
                        .icmp_imm_s(IntCC::UnsignedLessThan, x, FastMem::PAGE_SIZE as i64);
                c.ins().brif(same, quick, &[], full, &[]);
                self.cur = quick;
                let host = self.host_address(&fm, addr);
                paths.push((quick, host));
                self.cur = full;
            }
            if w == Width::B {
                self.fast_check(&fm, addr, w, store, slow);
            } else {
                let retry = self.new_block(true);
                self.fast_check(&fm, addr, w, store, retry);
                let fast = self.cur;
                self.cur = retry;
                self.fast_check_full(&fm, addr, w, store, slow);
                let host = self.host_address(&fm, addr);
                paths.push((self.cur, host));
                self.cur = fast;
            }
            let host = self.host_address(&fm, addr);
            paths.insert(usize::from(prev.is_some()), (self.cur, host));
            // (When the slow path calls the helper and joins the others, it checked nothing.)
            if self.low.slow_exit {
                self.checked.push((base, store, addr));
            }
            return Some((paths, slow, self.low.slow_exit));
        }
        let t = self.low.tlb?;
        let slow = self.new_block(true);
        let host = self.tlb_check(&t, addr, w, store, slow);
        Some((vec![(self.cur, host)], slow, false))
    }

    /// The high half of `a * b` (signed or unsigned) when the current guest block already
    /// multiplied `a` and `b` for the low half (as in `mul` then `mulhu` of the same
    /// registers, how multi-word arithmetic gets a full product): that multiplication becomes
    /// one widening multiply whose two halves serve both (one host `mul` for two guest
    /// instructions, where x86-64 has no other way to get the high half).
    fn mul_high(&mut self, a: Value, b: Value, signed: bool) -> Option<Value> {
        let k = self
            .muls
            .iter()
            .position(|&(x, y, _)| (x, y) == (a, b) || (x, y) == (b, a))?;
        let (x, y, old) = self.muls.swap_remove(k);
        let lo = self.func.dfg.first_result(old);
        // The widening multiply goes where the low half was computed (its operands are
        // defined there, and it dominates the rest of the guest block).
        let mut c = FuncCursor::new(&mut self.func).at_inst(old);
        let (wx, wy) = if signed {
            (c.ins().sextend(I128, x), c.ins().sextend(I128, y))
        } else {
            (c.ins().uextend(I128, x), c.ins().uextend(I128, y))
        };
        let wide = c.ins().imul(wx, wy);
        let (new_lo, hi) = c.ins().isplit(wide);
        c.func.layout.remove_inst(old);
        c.func.dfg.detach_inst_results(old);
        c.func.dfg.change_to_alias(lo, new_lo);
        Some(hi)
    }

    /// The host address of guest address `addr` in fast memory `fm` (the address itself
    /// where guest and host addresses are the same).
    fn host_address(&mut self, fm: &FastMem, addr: Value) -> Value {
        match fm.base() as i64 {
            0 => addr,
            base => self.cursor().ins().iadd_imm_s(addr, base),
        }
    }

    /// A load or store checked by the host MMU ([`Lowering::host_loads`],
    /// [`Lowering::host_stores`]): branches to a cold block that leaves at this instruction
    /// when `addr` is outside the guest address space, then accesses memory with a trap code
    /// naming the site, whose landing pad is that branch's target. Returns the loaded value
    /// (for a store, the stored one). `None` (emits nothing) where the access is checked
    /// otherwise: inside an access window, at a constant address, or when the function has as
    /// many such sites as trap codes allow.
    fn host_checked(&mut self, addr: Value, w: Width, access: Access) -> Option<Value> {
        let fm = self.low.fast?;
        let enabled = match access {
            Access::Load(_) => self.low.host_loads,
            Access::Store(_) => self.low.host_stores,
        };
        if !enabled
            || !self.low.slow_exit
            || !fm.base().is_null()
            || self.host_sites.len() >= MAX_HOST_SITES
        {
            return None;
        }
        let pc = self.pc;
        // A constant address would fold the bound check away, and its landing pad with it.
        if self.const_of(addr).is_some() || self.windows.binary_search_by_key(&pc, |w| w.0).is_ok()
        {
            return None;
        }
        let space = fm.pages().checked_mul(FastMem::PAGE_SIZE)?;
        if !space.is_power_of_two() {
            return None;
        }
        // Check the base register rather than the address when the offset is small: the
        // access then uses the register the check just used (its amode adds the offset), and
        // no reload of a spilled base can come between them. `base + offset` then lies below
        // the bound plus 2 KiB (the guard page after the space) or wraps below 0, into the
        // host's kernel half, which faults too.
        let checked = match self.split_offset(addr) {
            Some((b, off)) if (-2048..2048).contains(&off) => b,
            _ => addr,
        };
        if self.const_of(checked).is_some() {
            return None;
        }
        let code = u8::try_from(self.host_sites.len() + 1).ok()?;
        let trap = TrapCode::user(code)?;
        let slow = self.new_block(true);
        let inb = self.new_block(false);
        let out = self.cursor().ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            checked,
            space as i64,
        );
        let branch = self.cursor().ins().brif(out, slow, &[], inb, &[]);
        self.cur = slow;
        self.exit_slow_here();
        self.cur = inb;
        let host = self.host_address(&fm, addr);
        let flags = guest().with_trap_code(Some(trap));
        let (v, inst) = match access {
            Access::Load(signed) => {
                let v = self.guest_load_flags(host, w, signed, flags);
                let ValueDef::Result(inst, _) = self.func.dfg.value_def(v) else {
                    return None;
                };
                (v, inst)
            }
            Access::Store(val) => (val, self.guest_store_flags(host, val, w, flags)),
        };
        let (mask, want) = match access {
            Access::Load(_) => (fm.read_bit(), fm.read_bit()),
            Access::Store(_) => fm.store_test(),
        };
        self.host_sites.push(HostSite {
            code,
            branch,
            inst,
            addr,
            width: w,
            slow,
            perms: fm.perms() as i64,
            pages: fm.pages() as i64,
            mask,
            want,
        });
        Some(v)
    }

    fn guest_load(&mut self, host: Value, w: Width, signed: bool) -> Value {
        self.guest_load_flags(host, w, signed, guest())
    }

    fn guest_load_flags(&mut self, host: Value, w: Width, signed: bool, f: MemFlagsData) -> Value {
        let mut c = self.cursor();
        match (w, signed) {
            (Width::B, false) => c.ins().uload8(I64, f, host, 0),
            (Width::B, true) => c.ins().sload8(I64, f, host, 0),
            (Width::H, false) => c.ins().uload16(I64, f, host, 0),
            (Width::H, true) => c.ins().sload16(I64, f, host, 0),
            (Width::W, false) => c.ins().uload32(f, host, 0),
            (Width::W, true) => c.ins().sload32(f, host, 0),
            (Width::D, _) => c.ins().load(I64, f, host, 0),
        }
    }

    fn guest_store(&mut self, host: Value, v: Value, w: Width) {
        self.guest_store_flags(host, v, w, guest());
    }

    fn guest_store_flags(
        &mut self,
        host: Value,
        v: Value,
        w: Width,
        f: MemFlagsData,
    ) -> cranelift_codegen::ir::Inst {
        let mut c = self.cursor();
        match w {
            Width::B => c.ins().istore8(f, v, host, 0),
            Width::H => c.ins().istore16(f, v, host, 0),
            Width::W => c.ins().istore32(f, v, host, 0),
            Width::D => c.ins().store(f, v, host, 0),
        }
    }

    fn ctx_args(&mut self, a: u64) -> Value {
        self.iconst(a)
    }
}

/// Host-checked accesses one function may have: one trap code each (Cranelift's user trap
/// codes).
const MAX_HOST_SITES: usize = 240;

/// The kind of a host-checked access: a load (signed or not) or a store of a value.
#[derive(Clone, Copy)]
enum Access {
    Load(bool),
    Store(Value),
}

/// A host-checked load or store ([`Lowering::host_loads`]), what compilation needs to check
/// that the access has its landing pad and, where it has not, to give it the
/// permission-table check back ([`HostSite::table_check`]).
#[derive(Clone, Copy, Debug)]
pub struct HostSite {
    /// Its trap code (`TrapCode::user(code)`), unique in the function.
    pub code: u8,
    /// The bound check's branch (to `slow`, or on to the load).
    pub branch: cranelift_codegen::ir::Inst,
    pub inst: cranelift_codegen::ir::Inst,
    pub addr: Value,
    pub width: Width,
    /// The cold block that leaves at the access's instruction (its landing pad).
    pub slow: Block,
    perms: i64,
    pages: i64,
    /// The table test: `(byte & mask) == want` (readable, or the store test).
    mask: u8,
    want: u8,
}

impl HostSite {
    /// Replaces the bound check by the permission-table check of [`ClifEmitter::fast_check`]
    /// (whose alignment test keeps the access from crossing into another page) and drops the
    /// access's trap code: the host never faults there.
    pub fn table_check(&self, func: &mut Function) {
        let Some(blk) = func.layout.inst_block(self.inst) else {
            return;
        };
        if let Some(check) = func.layout.inst_block(self.branch) {
            func.layout.remove_inst(self.branch);
            FuncCursor::new(func).at_bottom(check).ins().jump(blk, &[]);
        }
        let mid = func.dfg.make_block();
        let rest = func.dfg.make_block();
        func.layout.split_block(rest, self.inst);
        func.layout.insert_block(mid, rest);
        let shift = i64::from(FastMem::PAGE_SHIFT);
        let k = self.width.bytes().trailing_zeros() as i64;
        let mut c = FuncCursor::new(func).at_bottom(blk);
        let page = if k == 0 {
            c.ins().ushr_imm_s(self.addr, shift)
        } else {
            let r = c.ins().rotr_imm_s(self.addr, k);
            c.ins().ushr_imm_s(r, shift - k)
        };
        let out = c
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, page, self.pages);
        c.ins().brif(out, self.slow, &[], mid, &[]);
        let mut c = FuncCursor::new(func).at_bottom(mid);
        let pa = c.ins().iadd_imm_s(page, self.perms);
        let p = c.ins().load(I8, trusted(), pa, 0);
        let m = c.ins().band_imm_s(p, i64::from(self.mask));
        if self.mask == self.want && self.mask.is_power_of_two() {
            c.ins().brif(m, rest, &[], self.slow, &[]);
        } else {
            let bad = c.ins().icmp_imm_s(IntCC::NotEqual, m, i64::from(self.want));
            c.ins().brif(bad, self.slow, &[], rest, &[]);
        }
        let plain = func.dfg.mem_flags.insert_unchecked(guest());
        match &mut func.dfg.insts[self.inst] {
            InstructionData::Load { flags, .. } | InstructionData::Store { flags, .. } => {
                *flags = plain
            }
            _ => {}
        }
    }
}

/// Encodes a width for the helpers.
pub fn width_code(w: Width) -> u64 {
    w.bytes()
}

/// Encodes an AMO operation for the helper.
pub fn amo_code(op: AmoOp) -> u64 {
    match op {
        AmoOp::Swap => 0,
        AmoOp::Add => 1,
        AmoOp::Xor => 2,
        AmoOp::And => 3,
        AmoOp::Or => 4,
        AmoOp::Min => 5,
        AmoOp::Max => 6,
        AmoOp::MinU => 7,
        AmoOp::MaxU => 8,
    }
}

/// Encodes a CSR op for the helper.
pub fn csr_op_code(op: CsrOp) -> u64 {
    match op {
        CsrOp::Write => 0,
        CsrOp::Set => 1,
        CsrOp::Clear => 2,
    }
}

/// Encodes a privileged operation for the helper.
pub fn system_op_code(op: SystemOp) -> u64 {
    match op {
        SystemOp::Mret => 0,
        SystemOp::Sret => 1,
        SystemOp::Wfi => 2,
        SystemOp::SfenceVma => 3,
    }
}

fn fold_bin(op: BinOp, a: u64, b: u64) -> Option<u64> {
    Some(match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << (b & 63),
        BinOp::Shr => a >> (b & 63),
        BinOp::Sar => ((a as i64) >> (b & 63)) as u64,
        _ => return None,
    })
}

impl Emitter for ClifEmitter {
    type V = Value;

    fn pc(&self) -> u64 {
        self.pc
    }
    fn insn_len(&self) -> u64 {
        self.len
    }

    fn imm(&mut self, v: u64) -> Value {
        self.iconst(v)
    }
    fn xreg(&mut self, r: u8) -> Value {
        let r = (r & 31) as usize;
        if r == 0 {
            return self.iconst(0);
        }
        self.reg_slot(r)
    }
    fn set_xreg(&mut self, r: u8, v: Value) {
        let r = (r & 31) as usize;
        if r != 0 {
            self.set_reg_slot(r, v);
        }
    }
    fn freg(&mut self, r: u8) -> Value {
        self.reg_slot(32 + (r & 31) as usize)
    }
    fn set_freg(&mut self, r: u8, v: Value) {
        self.set_reg_slot(32 + (r & 31) as usize, v);
    }

    fn bin(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        if let (Some(x), Some(y)) = (self.const_of(a), self.const_of(b)) {
            if let Some(r) = fold_bin(op, x, y) {
                return self.iconst(r);
            }
        }
        match op {
            BinOp::Mul => {
                let lo = self.cursor().ins().imul(a, b);
                if let Some(inst) = self.func.dfg.value_def(lo).inst() {
                    self.muls.push((a, b, inst));
                }
                return lo;
            }
            BinOp::MulHS | BinOp::MulHU => {
                if let Some(hi) = self.mul_high(a, b, op == BinOp::MulHS) {
                    return hi;
                }
            }
            _ => {}
        }
        let safe_divisor = self.nonzero.contains(&b);
        if self.const_of(b).is_none() {
            if let Some(d) = self.divisor_hint(op) {
                return self.divide_speculating(op, a, b, d, safe_divisor);
            }
        }
        let mut c = self.cursor();
        let i = c.ins();
        match op {
            BinOp::Add => i.iadd(a, b),
            BinOp::Sub => i.isub(a, b),
            BinOp::And => i.band(a, b),
            BinOp::Or => i.bor(a, b),
            BinOp::Xor => i.bxor(a, b),
            BinOp::AndNot => {
                let nb = i.bnot(b);
                c.ins().band(a, nb)
            }
            BinOp::OrNot => {
                let nb = i.bnot(b);
                c.ins().bor(a, nb)
            }
            BinOp::XorNot => {
                let x = i.bxor(a, b);
                c.ins().bnot(x)
            }
            BinOp::Shl => i.ishl(a, b),
            BinOp::Shr => i.ushr(a, b),
            BinOp::Sar => i.sshr(a, b),
            BinOp::Rotl => i.rotl(a, b),
            BinOp::Rotr => i.rotr(a, b),
            BinOp::Mul => i.imul(a, b),
            BinOp::MulHS => i.smulhi(a, b),
            BinOp::MulHU => i.umulhi(a, b),
            BinOp::MulHSU => {
                // mulhsu(a, b) = mulhu(a, b) - (a < 0 ? b : 0)
                let hu = i.umulhi(a, b);
                let sign = c.ins().sshr_imm_s(a, 63);
                let corr = c.ins().band(sign, b);
                c.ins().isub(hu, corr)
            }
            BinOp::DivU | BinOp::RemU | BinOp::DivS | BinOp::RemS => {
                self.divide(op, a, b, safe_divisor)
            }
            BinOp::MinS => i.smin(a, b),
            BinOp::MinU => i.umin(a, b),
            BinOp::MaxS => i.smax(a, b),
            BinOp::MaxU => i.umax(a, b),
        }
    }

    fn un(&mut self, op: UnOp, a: Value) -> Value {
        if let Some(x) = self.const_of(a) {
            let r = match op {
                UnOp::Not => Some(!x),
                UnOp::Neg => Some(x.wrapping_neg()),
                UnOp::Sext32 => Some(x as i32 as i64 as u64),
                UnOp::Zext32 => Some(x as u32 as u64),
                _ => None,
            };
            if let Some(r) = r {
                return self.iconst(r);
            }
        }
        let mut c = self.cursor();
        match op {
            UnOp::Not => c.ins().bnot(a),
            UnOp::Neg => c.ins().ineg(a),
            UnOp::Sext8
            | UnOp::Sext16
            | UnOp::Sext32
            | UnOp::Zext8
            | UnOp::Zext16
            | UnOp::Zext32 => {
                let (ty, signed) = match op {
                    UnOp::Sext8 => (I8, true),
                    UnOp::Sext16 => (I16, true),
                    UnOp::Sext32 => (I32, true),
                    UnOp::Zext8 => (I8, false),
                    UnOp::Zext16 => (I16, false),
                    _ => (I32, false),
                };
                let n = c.ins().ireduce(ty, a);
                if signed {
                    c.ins().sextend(I64, n)
                } else {
                    c.ins().uextend(I64, n)
                }
            }
            UnOp::Clz => c.ins().clz(a),
            UnOp::Ctz => c.ins().ctz(a),
            UnOp::Cpop => c.ins().popcnt(a),
            UnOp::Rev8 => c.ins().bswap(a),
            UnOp::OrcB => {
                // Bit 7 of each byte of t is set iff the byte of a is nonzero.
                const LOW7: i64 = 0x7f7f_7f7f_7f7f_7f7f;
                let l = c.ins().band_imm_s(a, LOW7);
                let s = c.ins().iadd_imm_s(l, LOW7);
                let t = c.ins().bor(s, a);
                let t = c.ins().ushr_imm_s(t, 7);
                let t = c.ins().band_imm_s(t, 0x0101_0101_0101_0101);
                c.ins().imul_imm_s(t, 0xff)
            }
        }
    }

    fn cmp(&mut self, cond: Cond, a: Value, b: Value) -> Value {
        let cc = match cond {
            Cond::Eq => IntCC::Equal,
            Cond::Ne => IntCC::NotEqual,
            Cond::LtS => IntCC::SignedLessThan,
            Cond::GeS => IntCC::SignedGreaterThanOrEqual,
            Cond::LtU => IntCC::UnsignedLessThan,
            Cond::GeU => IntCC::UnsignedGreaterThanOrEqual,
        };
        if let (Some(x), Some(y)) = (self.const_of(a), self.const_of(b)) {
            let r = match cond {
                Cond::Eq => x == y,
                Cond::Ne => x != y,
                Cond::LtS => (x as i64) < (y as i64),
                Cond::GeS => (x as i64) >= (y as i64),
                Cond::LtU => x < y,
                Cond::GeU => x >= y,
            };
            return self.iconst(r as u64);
        }
        let mut c = self.cursor();
        let f = c.ins().icmp(cc, a, b);
        let v = c.ins().uextend(I64, f);
        self.conds.push((v, f));
        v
    }

    fn select(&mut self, c: Value, t: Value, f: Value) -> Value {
        let flag = self.flag(c);
        let v = self.cursor().ins().select(flag, t, f);
        if self.const_of(t).is_some_and(|k| k != 0) && self.is_zero_test_of(flag, f) {
            self.nonzero.push(v);
        }
        v
    }

    fn load(&mut self, addr: Value, w: Width, signed: bool) -> Result<Value, Exception> {
        if let Some(v) = self.host_checked(addr, w, Access::Load(signed)) {
            return Ok(v);
        }
        let Some((paths, slow, exit)) = self.inline_access(addr, w, false) else {
            return Ok(self.load_helper(addr, w, signed));
        };
        let join = self.new_block(false);
        let v = self.func.dfg.append_block_param(join, I64);
        for (b, host) in paths {
            self.cur = b;
            let r = self.guest_load(host, w, signed);
            self.cursor().ins().jump(join, &[BlockArg::Value(r)]);
        }
        self.cur = slow;
        if exit {
            self.exit_slow_here();
        } else {
            let r = self.load_helper(addr, w, signed);
            self.cursor().ins().jump(join, &[BlockArg::Value(r)]);
        }
        self.cur = join;
        Ok(v)
    }

    fn store(&mut self, addr: Value, val: Value, w: Width) -> Result<(), Exception> {
        if self.host_checked(addr, w, Access::Store(val)).is_some() {
            return Ok(());
        }
        let Some((paths, slow, exit)) = self.inline_access(addr, w, true) else {
            self.store_helper(addr, val, w);
            return Ok(());
        };
        let join = self.new_block(false);
        for (b, host) in paths {
            self.cur = b;
            self.guest_store(host, val, w);
            self.cursor().ins().jump(join, &[]);
        }
        self.cur = slow;
        if exit {
            self.exit_slow_here();
        } else {
            self.store_helper(addr, val, w);
            self.cursor().ins().jump(join, &[]);
        }
        self.cur = join;
        Ok(())
    }

    fn load_reserved(&mut self, addr: Value, w: Width) -> Result<Value, Exception> {
        let ctx = self.ctx;
        let wc = self.ctx_args(width_code(w));
        let zero = self.iconst(0);
        let r = self.call_helper(self.low.helpers.lr, ctx, addr, wc, zero);
        self.check_pending();
        Ok(r)
    }

    fn store_conditional(&mut self, addr: Value, val: Value, w: Width) -> Result<Value, Exception> {
        let ctx = self.ctx;
        let wc = self.ctx_args(width_code(w));
        self.polled = true;
        let r = self.call_helper(self.low.helpers.sc, ctx, addr, val, wc);
        self.check_pending();
        Ok(r)
    }

    fn amo(&mut self, op: AmoOp, addr: Value, val: Value, w: Width) -> Result<Value, Exception> {
        let ctx = self.ctx;
        let code = self.ctx_args(amo_code(op) << 8 | width_code(w));
        self.polled = true;
        let r = self.call_helper(self.low.helpers.amo, ctx, addr, val, code);
        self.check_pending();
        Ok(r)
    }

    fn fence(&mut self, kind: FenceKind) {
        match kind {
            FenceKind::Data => {
                self.cursor().ins().fence();
            }
            FenceKind::Instruction => {
                let ctx = self.ctx;
                let zero = self.iconst(0);
                self.polled = true;
                self.call_helper(self.low.helpers.fence_i, ctx, zero, zero, zero);
                // Translated code may be stale from here on: leave to the dispatcher.
                self.no_chain = true;
            }
        }
    }

    fn csr(
        &mut self,
        csr: u16,
        op: CsrOp,
        src: Value,
        read: bool,
        write: bool,
    ) -> Result<Value, Exception> {
        if let Some(r) = self.fp_csr_inline(csr, op, src, write) {
            return Ok(r);
        }
        // The environment may read instret: make it exact for this instruction.
        let (cpu, i0, n) = (self.cpu, self.instret0, self.n);
        let mut c = self.cursor();
        let cur = c.ins().iadd_imm_s(i0, n as i64);
        c.ins().store(trusted(), cur, cpu, OFF_INSTRET);
        let ctx = self.ctx;
        let code =
            u64::from(csr) | csr_op_code(op) << 12 | u64::from(read) << 14 | u64::from(write) << 15;
        let code = self.iconst(code);
        let zero = self.iconst(0);
        self.polled = true;
        let r = self.call_helper(self.low.helpers.csr, ctx, code, src, zero);
        self.check_pending();
        Ok(r)
    }

    fn call(
        &mut self,
        h: &'static Helper,
        a: Value,
        b: Value,
        c: Value,
    ) -> Result<Value, Exception> {
        if let Some(r) = h.fast.and_then(|f| self.fp_fast_call(h, f, a, b, c)) {
            return Ok(r);
        }
        let cpu = self.cpu;
        let r = self.call_helper(h.f as usize, cpu, a, b, c);
        if h.may_raise {
            self.check_pending();
        }
        Ok(r)
    }

    fn branch(&mut self, cond: Value, target: u64) {
        let count = self.n + 1;
        let next = self.pc.wrapping_add(self.len);
        if let Some(k) = self.const_of(cond) {
            self.exit_direct(if k != 0 { target } else { next }, count);
        } else {
            let flag = self.flag(cond);
            let taken = self.new_block(false);
            let not_taken = self.new_block(false);
            self.cursor().ins().brif(flag, taken, &[], not_taken, &[]);
            self.cur = taken;
            self.exit_direct(target, count);
            self.cur = not_taken;
            self.exit_direct(next, count);
        }
        self.ended = true;
        self.dead_end();
    }

    fn jump(&mut self, target: Value) {
        let count = self.n + 1;
        match self.const_of(target) {
            Some(t) => self.exit_direct(t, count),
            None => {
                // A return to a call of this region, or a call to where it went last, stays
                // in the region.
                let here = self.region.get(self.cur_idx).map(|r| r.pc);
                let sites: Vec<u64> = self
                    .jump_sites
                    .iter()
                    .filter(|&&(b, _)| Some(b) == here)
                    .map(|&(_, site)| site)
                    .collect();
                if !self.switch(target, &sites, count) {
                    for site in sites {
                        let hit = self.new_block(false);
                        let next = self.new_block(false);
                        let mut c = self.cursor();
                        let eq = c.ins().icmp_imm_s(IntCC::Equal, target, site as i64);
                        c.ins().brif(eq, hit, &[], next, &[]);
                        self.cur = hit;
                        self.exit_direct(site, count);
                        self.cur = next;
                    }
                    self.switch_miss(target, count)
                }
            }
        }
        self.ended = true;
        self.dead_end();
    }

    fn trap(&mut self, cause: Cause, tval: u64) -> Exception {
        Exception::new(cause, tval)
    }

    /// A trap-stub exit: the machine runs the operation with exact `instret` and `cpu.pc` at
    /// the next instruction; it may redirect `pc`, change privilege or translation, so the
    /// block always returns to the dispatcher afterwards (never chains).
    fn system(&mut self, op: SystemOp, a: Value, b: Value) -> Result<(), Exception> {
        let n = self.n;
        self.write_back(n);
        let next = self.iconst(self.pc.wrapping_add(self.len));
        self.store_pc(next);
        let ctx = self.ctx;
        let code = self.iconst(system_op_code(op));
        self.polled = true;
        self.call_helper(self.low.helpers.system, ctx, code, a, b);
        self.check_pending();
        // `cpu.pc` is the machine's; only the instruction count is left to update.
        let (cpu, i0) = (self.cpu, self.instret0);
        let mut c = self.cursor();
        let i = c.ins().iadd_imm_s(i0, (n + 1) as i64);
        c.ins().store(trusted(), i, cpu, OFF_INSTRET);
        self.ret(exit::RETURN);
        self.ended = true;
        self.dead_end();
        Ok(())
    }

    /// One helper call per floating-point instruction when the environment can turn the FP
    /// unit off (its state can change at any CSR write, so it is not decided at translation).
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        let h = self.low.helpers.fp_enabled;
        if h == 0 {
            return Ok(());
        }
        let (ctx, zero) = (self.ctx, self.iconst(0));
        self.call_helper(h, ctx, zero, zero, zero);
        self.check_pending();
        Ok(())
    }
}
