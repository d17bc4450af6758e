//! A dry-run emitter: runs a block's semantics without producing anything, to learn which
//! registers the block reads and writes and whether it branches back to its own start (a loop
//! the JIT can keep in host registers). Values are tracked only as known constants.

use crate::emit::{AmoOp, BinOp, Cond, CsrOp, Emitter, FenceKind, Helper, UnOp, Width};
use crate::{Cause, Exception};

/// What a block does with registers (bit `r` for x`r`, bit `32 + r` for f`r`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe {
    pc: u64,
    len: u64,
    start: u64,
    pub read: u64,
    pub written: u64,
    /// A branch or jump goes back to the start of the block.
    pub self_loop: bool,
    /// The block executes `fence.i` (its exits must not chain or loop).
    pub fence_i: bool,
    /// Static successors of the last branch or jump probed: a conditional branch's target and
    /// fall-through address, a jump's constant target (`None` for a computed one).
    pub targets: [Option<u64>; 2],
    /// The return address a call probed wrote (`ra` or `t0` set to the address after the
    /// instruction, as `jal`/`jalr` do): the block ends in a call returning there.
    pub link: Option<u64>,
    /// A jump to a computed address was probed.
    pub indirect: bool,
    /// That jump went through a link register (`ra` or `t0`, as a return does: the RISC-V
    /// convention for return-address prediction).
    pub returns: bool,
    /// The integer register read last.
    last_read: u8,
}

impl Probe {
    /// The block ends in a computed jump that is neither a call nor a return: a `switch`
    /// through a jump table, a computed `goto`, a tail call through a pointer.
    pub fn switch(&self) -> bool {
        self.indirect && !self.returns && self.link.is_none()
    }
    pub fn new(start: u64) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }
    pub fn begin_insn(&mut self, pc: u64, len: u64) {
        self.pc = pc;
        self.len = len;
    }
}

impl Emitter for Probe {
    type V = Option<u64>;

    fn pc(&self) -> u64 {
        self.pc
    }
    fn insn_len(&self) -> u64 {
        self.len
    }
    fn imm(&mut self, v: u64) -> Option<u64> {
        Some(v)
    }
    fn xreg(&mut self, r: u8) -> Option<u64> {
        let r = r & 31;
        if r == 0 {
            return Some(0);
        }
        self.read |= 1 << r;
        self.last_read = r;
        None
    }
    fn set_xreg(&mut self, r: u8, v: Option<u64>) {
        let r = r & 31;
        if r != 0 {
            self.written |= 1 << r;
        }
        if (r == 1 || r == 5) && v == Some(self.pc.wrapping_add(self.len)) {
            self.link = v;
        }
    }
    fn freg(&mut self, r: u8) -> Option<u64> {
        self.read |= 1 << (32 + (r & 31));
        None
    }
    fn set_freg(&mut self, r: u8, _v: Option<u64>) {
        self.written |= 1 << (32 + (r & 31));
    }
    fn bin(&mut self, op: BinOp, a: Option<u64>, b: Option<u64>) -> Option<u64> {
        let (a, b) = (a?, b?);
        match op {
            BinOp::Add => Some(a.wrapping_add(b)),
            BinOp::Sub => Some(a.wrapping_sub(b)),
            BinOp::And => Some(a & b),
            BinOp::Or => Some(a | b),
            BinOp::Xor => Some(a ^ b),
            _ => None,
        }
    }
    fn un(&mut self, _op: UnOp, _a: Option<u64>) -> Option<u64> {
        None
    }
    fn cmp(&mut self, _c: Cond, _a: Option<u64>, _b: Option<u64>) -> Option<u64> {
        None
    }
    fn select(&mut self, _c: Option<u64>, _t: Option<u64>, _f: Option<u64>) -> Option<u64> {
        None
    }
    fn load(&mut self, _a: Option<u64>, _w: Width, _s: bool) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn store(&mut self, _a: Option<u64>, _v: Option<u64>, _w: Width) -> Result<(), Exception> {
        Ok(())
    }
    fn load_reserved(&mut self, _a: Option<u64>, _w: Width) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn store_conditional(
        &mut self,
        _a: Option<u64>,
        _v: Option<u64>,
        _w: Width,
    ) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn amo(
        &mut self,
        _op: AmoOp,
        _a: Option<u64>,
        _v: Option<u64>,
        _w: Width,
    ) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn fence(&mut self, kind: FenceKind) {
        if kind == FenceKind::Instruction {
            self.fence_i = true;
        }
    }
    fn csr(
        &mut self,
        _csr: u16,
        _op: CsrOp,
        _src: Option<u64>,
        _read: bool,
        _write: bool,
    ) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn call(
        &mut self,
        _h: &'static Helper,
        _a: Option<u64>,
        _b: Option<u64>,
        _c: Option<u64>,
    ) -> Result<Option<u64>, Exception> {
        Ok(None)
    }
    fn branch(&mut self, cond: Option<u64>, target: u64) {
        let next = self.pc.wrapping_add(self.len);
        if target == self.start || next == self.start {
            self.self_loop = true;
        }
        self.targets = match cond {
            Some(0) => [Some(next), None],
            Some(_) => [Some(target), None],
            None => [Some(target), Some(next)],
        };
    }
    fn jump(&mut self, target: Option<u64>) {
        if target == Some(self.start) {
            self.self_loop = true;
        }
        self.indirect |= target.is_none();
        // (The target of a computed jump is the last register read: `jalr` reads its base
        // and no other register before it jumps.)
        self.returns = target.is_none() && matches!(self.last_read, 1 | 5);
        self.targets = [target, None];
    }
    fn trap(&mut self, cause: Cause, tval: u64) -> Exception {
        Exception::new(cause, tval)
    }
}
