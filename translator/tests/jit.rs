//! The JIT checked against the interpreter (the oracle): hand-written RV64I programs and random
//! instruction sequences drawn from the decode table run in both engines from the same state,
//! and registers, pc, instret, the exception and memory must agree.

use crate::common;

use common::Rng;
use translator::decode::Imm;
use translator::emit::{AmoOp, CsrOp, Width};
use translator::interp::{amo_apply, Env, FastMem, Interp, InterpEngine};
use translator::jit::{JitConfig, JitEngine, OptLevel, RegAlloc};
use translator::{Cause, CpuState, Exception};

const PAGE: u64 = 4096;
const NPAGES: u64 = 16;
const READ: u8 = 1;
const WRITE: u8 = 2;
const EXEC: u8 = 4;
const CODE: u8 = 16;

/// A small guest memory over a host buffer with a per-page permission table, laid out like the
/// runtime's (so the JIT's inline fast path can be used).
struct TestEnv {
    _buf: Box<[u8]>,
    base: *mut u8,
    perms: Box<[u8]>,
    code_dirty: bool,
    fast: bool,
    fence_i_count: u64,
}

impl TestEnv {
    fn new(fast: bool) -> Self {
        let mut buf = vec![0u8; (PAGE * NPAGES) as usize].into_boxed_slice();
        let base = buf.as_mut_ptr();
        Self {
            _buf: buf,
            base,
            // One byte per page and FastMem's zero guard byte.
            perms: vec![0u8; NPAGES as usize + 1].into_boxed_slice(),
            code_dirty: false,
            fast,
            fence_i_count: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: base points to the PAGE * NPAGES bytes of `_buf`, alive as long as self.
        unsafe { std::slice::from_raw_parts(self.base, (PAGE * NPAGES) as usize) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; &mut self gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.base, (PAGE * NPAGES) as usize) }
    }

    fn map(&mut self, addr: u64, len: u64, p: u8) {
        for page in addr / PAGE..(addr + len).div_ceil(PAGE) {
            self.perms[page as usize] = p;
        }
    }

    fn write(&mut self, addr: u64, data: &[u8]) {
        self.bytes_mut()[addr as usize..addr as usize + data.len()].copy_from_slice(data);
    }

    fn write_words(&mut self, addr: u64, words: &[u32]) {
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.write(addr, &b);
    }

    fn prot(&self, addr: u64) -> u8 {
        let page = addr / PAGE;
        if page < NPAGES {
            self.perms[page as usize]
        } else {
            0
        }
    }

    fn check(&self, addr: u64, len: u64, need: u8, cause: Cause) -> Result<(), Exception> {
        let end = addr.checked_add(len).ok_or(Exception::new(cause, addr))?;
        let mut a = addr;
        while a < end {
            if self.prot(a) & need == 0 {
                return Err(Exception::new(cause, a));
            }
            a = (a & !(PAGE - 1)) + PAGE;
        }
        Ok(())
    }

    fn note_store(&mut self, addr: u64, len: u64) {
        if (self.prot(addr) | self.prot(addr + len - 1)) & CODE != 0 {
            self.code_dirty = true;
        }
    }

    fn raw_load(&self, addr: u64, w: Width) -> u64 {
        let mut v = [0u8; 8];
        let n = w.bytes() as usize;
        v[..n].copy_from_slice(&self.bytes()[addr as usize..addr as usize + n]);
        u64::from_le_bytes(v)
    }

    fn raw_store(&mut self, addr: u64, val: u64, w: Width) {
        let n = w.bytes() as usize;
        self.bytes_mut()[addr as usize..addr as usize + n].copy_from_slice(&val.to_le_bytes()[..n]);
    }
}

impl Env for TestEnv {
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.check(addr, w.bytes(), READ, Cause::LoadPageFault)?;
        Ok(self.raw_load(addr, w))
    }
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.check(addr, w.bytes(), WRITE, Cause::StorePageFault)?;
        self.note_store(addr, w.bytes());
        self.raw_store(addr, val, w);
        Ok(())
    }
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.check(addr, w.bytes(), WRITE | READ, Cause::StorePageFault)?;
        if self.prot(addr) & READ == 0 {
            return Err(Exception::new(Cause::StorePageFault, addr));
        }
        self.note_store(addr, w.bytes());
        let old = self.raw_load(addr, w);
        self.raw_store(addr, amo_apply(op, old, val, w), w);
        Ok(old)
    }
    fn cmpxchg(&mut self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception> {
        self.check(addr, w.bytes(), WRITE, Cause::StorePageFault)?;
        self.note_store(addr, w.bytes());
        if self.raw_load(addr, w) == expected {
            self.raw_store(addr, new, w);
            return Ok(true);
        }
        Ok(false)
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        if addr & 1 != 0 {
            return Err(Exception::new(Cause::InstructionMisaligned, addr));
        }
        self.check(addr, 2, EXEC, Cause::InstructionPageFault)?;
        self.perms[(addr / PAGE) as usize] |= CODE;
        Ok(self.raw_load(addr, Width::H) as u16)
    }
    fn csr(
        &mut self,
        _cpu: &mut CpuState,
        csr: u16,
        _op: CsrOp,
        _src: u64,
        _read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        match (csr, write) {
            (0xc01, false) => Ok(12345),
            _ => Err(Exception::new(Cause::IllegalInstruction, 0)),
        }
    }
    fn fence_i(&mut self) {
        self.fence_i_count += 1;
        self.code_dirty = true;
    }
    fn take_code_flush(&mut self) -> bool {
        std::mem::take(&mut self.code_dirty)
    }
    fn fast_memory(&self) -> Option<FastMem> {
        if !self.fast {
            return None;
        }
        // SAFETY: base and perms point to buffers owned by self that never move or shrink;
        // every page below NPAGES is host read-write whatever its guest permissions; the
        // table's last byte (the guard) is never written (`map` stays below NPAGES).
        Some(unsafe { FastMem::new(self.base, self.perms.as_ptr(), NPAGES, READ, WRITE, CODE) })
    }
}

// ---- RV64I encoders for the hand-written programs ----

fn r_type(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
fn s_type(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
    let i = imm as u32;
    (i >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 0x1f) << 7 | op
}
fn b_imm(off: i32) -> u32 {
    let i = off as u32;
    (i >> 12 & 1) << 31 | (i >> 5 & 0x3f) << 25 | (i >> 1 & 0xf) << 8 | (i >> 11 & 1) << 7
}
fn j_imm(off: i32) -> u32 {
    let i = off as u32;
    (i >> 20 & 1) << 31 | (i >> 1 & 0x3ff) << 21 | (i >> 11 & 1) << 20 | (i >> 12 & 0xff) << 12
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x13)
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, rs2, rs1, 0, rd, 0x33)
}
fn lui(rd: u32, imm20: u32) -> u32 {
    imm20 << 12 | rd << 7 | 0x37
}
fn auipc(rd: u32, imm20: u32) -> u32 {
    imm20 << 12 | rd << 7 | 0x17
}
fn jal(rd: u32, off: i32) -> u32 {
    j_imm(off) | rd << 7 | 0x6f
}
fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x67)
}
fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 7, rd, 0x13)
}
fn beq(rs1: u32, rs2: u32, off: i32) -> u32 {
    b_imm(off) | rs2 << 20 | rs1 << 15 | 0x63
}
fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 3, rd, 0x03)
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(imm, rs2, rs1, 3, 0x23)
}
const ECALL: u32 = 0x73;
const FENCE_I: u32 = 0x100f;

// ---- running and comparing ----

const CODE_AT: u64 = 0x1000;

fn jit_cfg(threshold: u32, opt: OptLevel) -> JitConfig {
    JitConfig {
        code_cache_size: 1 << 20,
        jit_threshold: threshold,
        opt_level: opt,
        regalloc: RegAlloc::Backtracking,
        verify: true,
        background: false,
        time_split: false,
    }
}

/// A machine set up by `setup`, with pc at CODE_AT.
fn machine(fast: bool, setup: &dyn Fn(&mut TestEnv, &mut CpuState)) -> Interp<TestEnv> {
    let mut env = TestEnv::new(fast);
    let mut cpu = CpuState {
        pc: CODE_AT,
        ..CpuState::default()
    };
    setup(&mut env, &mut cpu);
    Interp::new(cpu, env)
}

fn assert_same_cpu(a: &CpuState, b: &CpuState, what: &str) {
    assert_eq!(a.x, b.x, "{what}: x registers");
    assert_eq!(a.f, b.f, "{what}: f registers");
    assert_eq!(a.pc, b.pc, "{what}: pc");
    assert_eq!(a.instret, b.instret, "{what}: instret");
    assert_eq!(a.fflags, b.fflags, "{what}: fflags");
    assert_eq!(a.frm, b.frm, "{what}: frm");
    assert_eq!(a.reservation, b.reservation, "{what}: reservation");
    assert_eq!(a.pending, b.pending, "{what}: pending");
}

fn assert_same(a: &Interp<TestEnv>, b: &Interp<TestEnv>, what: &str) {
    assert_same_cpu(&a.cpu, &b.cpu, what);
    if a.env.bytes() != b.env.bytes() {
        let i = a
            .env
            .bytes()
            .iter()
            .zip(b.env.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!("{what}: memory differs first at {i:#x}");
    }
}

/// Runs to the first exception (or `limit` instructions) in chunks of `budget`.
fn run_interp(m: &mut Interp<TestEnv>, budget: u64, limit: u64) -> Option<Exception> {
    let mut e: InterpEngine<TestEnv> = InterpEngine::new();
    while m.cpu.instret < limit {
        if let Err(x) = e.run(m, budget) {
            return Some(x);
        }
    }
    None
}

fn run_jit(
    j: &mut JitEngine<TestEnv>,
    m: &mut Interp<TestEnv>,
    budget: u64,
    limit: u64,
) -> Option<Exception> {
    while m.cpu.instret < limit {
        if let Err(x) = j.run(m, budget) {
            return Some(x);
        }
    }
    None
}

/// Runs a program in the interpreter and in the JIT under several configurations and checks
/// they end in the same state. Returns the interpreter's final machine.
fn check_program(name: &str, setup: &dyn Fn(&mut TestEnv, &mut CpuState)) -> Interp<TestEnv> {
    const LIMIT: u64 = 5_000_000;
    let mut reference = machine(true, setup);
    let ex = run_interp(&mut reference, u64::MAX, LIMIT);
    for fast in [true, false] {
        for threshold in [0, 1, 3, 50] {
            for opt in [OptLevel::None, OptLevel::Speed] {
                for budget in [u64::MAX, 7] {
                    let what = format!(
                        "{name} (fast={fast} threshold={threshold} {opt:?} budget={budget})"
                    );
                    let mut m = machine(fast, setup);
                    let mut j = JitEngine::new(jit_cfg(threshold, opt)).expect("jit");
                    let jex = run_jit(&mut j, &mut m, budget, LIMIT);
                    assert_eq!(ex, jex, "{what}: exception");
                    assert_same(&reference, &m, &what);
                    // (A translation the verifier rejects runs interpreted, with the same
                    // results: only this count shows it.)
                    assert_eq!(j.stats.compile_failures, 0, "{what}: compile failures");
                    if threshold <= 1 && ex.is_some() {
                        assert!(j.stats.blocks_translated > 0, "{what}: nothing translated");
                    }
                }
            }
        }
    }
    // Compiled on a background thread: code is installed whenever it is ready (the interpreter
    // runs the block meanwhile), with the same end state; with either register allocator.
    for (budget, regalloc) in [
        (u64::MAX, RegAlloc::Backtracking),
        (7, RegAlloc::Backtracking),
        (u64::MAX, RegAlloc::SinglePass),
        (7, RegAlloc::SinglePass),
    ] {
        let what = format!("{name} (background budget={budget} {regalloc:?})");
        let mut m = machine(true, setup);
        let mut j = JitEngine::new(JitConfig {
            background: true,
            regalloc,
            ..jit_cfg(0, OptLevel::Speed)
        })
        .expect("jit");
        let jex = run_jit(&mut j, &mut m, budget, LIMIT);
        assert_eq!(ex, jex, "{what}: exception");
        assert_same(&reference, &m, &what);
        assert_eq!(j.stats.compile_failures, 0, "{what}: compile failures");
    }
    reference
}

fn code(env: &mut TestEnv, prog: &[u32]) {
    env.map(CODE_AT, 0x2000, READ | EXEC);
    env.write_words(CODE_AT, prog);
}

/// x1 counts to x2 = 1000; x3 accumulates x1.
fn counting_loop_program() -> [u32; 8] {
    [
        addi(1, 0, 0),
        addi(2, 0, 1000),
        addi(3, 0, 0),
        // loop:
        addi(1, 1, 1),
        add(3, 3, 1),
        beq(1, 2, 8),
        jal(0, -12),
        ECALL,
    ]
}

#[test]
fn counting_loop() {
    let prog = counting_loop_program();
    let m = check_program("counting_loop", &|env, _| code(env, &prog));
    assert_eq!(m.cpu.x[3], 1000 * 1001 / 2);
    assert_eq!(m.cpu.pc, CODE_AT + 7 * 4);
}

#[test]
fn interpreted_blocks_chain_and_still_count_every_run_toward_the_threshold() {
    // The counting loop: block 0 (setup and the first iteration, whose jal goes back to the
    // loop head inside it), block 12 (the loop: it loops back to its own start), block 28
    // (the ecall). Interpreted blocks run chained to one another (and loop in themselves)
    // without returning to the engine, within the runs left before the threshold; each run
    // counts, so the loop is translated at its threshold-th run exactly, as without chaining.
    let prog = counting_loop_program();
    // (threshold, blocks run interpreted, translations): 0 and the loop's 49 runs before its
    // 50th; everything interpreted (1 + 999 + 1 runs) when the threshold is never reached.
    for (threshold, interpreted, translated) in [(50, 50, 1), (2000, 1001, 0)] {
        for budget in [u64::MAX, 7] {
            let what = format!("threshold {threshold} budget {budget}");
            let mut m = machine(true, &|env, _| code(env, &prog));
            let mut j = JitEngine::new(jit_cfg(threshold, OptLevel::None)).expect("jit");
            let ex = run_jit(&mut j, &mut m, budget, u64::MAX);
            assert_eq!(ex.map(|e| e.cause), Some(Cause::EcallFromU), "{what}");
            assert_eq!(m.cpu.x[3], 1000 * 1001 / 2, "{what}");
            assert_eq!(m.cpu.instret, 3 + 4 * 1000 - 1, "{what}");
            assert_eq!(j.stats.interp_blocks, interpreted, "{what}: {:?}", j.stats);
            assert_eq!(
                j.stats.blocks_translated, translated,
                "{what}: {:?}",
                j.stats
            );
        }
    }
}

#[test]
fn branch_to_a_block_carrying_a_register_its_source_never_read() {
    // Region blocks: 0 (addi, beq), 8 (M: x5 = x1 + 7, x1 += 1, jal back), 20 (T), 4 (the
    // beq again, the loop head). T and M carry x5 (M writes it), so block 0's taken branch to
    // T passes x5's entry value, which block 0 never read and no loop reads (so the region
    // does not load it at its entry): that load belongs to the taken path only, and must not
    // be what the not-taken path passes to M.
    let prog = [
        addi(2, 0, 3),
        beq(1, 2, 16),
        addi(5, 1, 7),
        addi(1, 1, 1),
        jal(0, -12),
        add(10, 5, 1),
        ECALL,
    ];
    for x1 in [0, 3] {
        let m = check_program("branch to a carrying block", &|env, cpu| {
            code(env, &prog);
            cpu.x[1] = x1;
            cpu.x[5] = 100;
        });
        let x5 = if x1 == 0 { 9 } else { 100 };
        assert_eq!((m.cpu.x[5], m.cpu.x[10]), (x5, x5 + 3), "x1 = {x1}");
        assert_eq!(m.cpu.pc, CODE_AT + 6 * 4);
    }
}

#[test]
fn accesses_from_one_base_check_each_page() {
    // x1 = 0x4ff8 (from the start state: a constant address would be folded, with no base),
    // page 0x4000 read-write. Once an access from x1 has checked page 0x4000, a later one
    // from the same base that leaves the page must be checked again: a store into read-only
    // 0x5000 faults, and so does a misaligned load crossing into unmapped 0x5000 (it is in
    // the same page as the first load by its first byte only).
    let stores = [addi(5, 0, 1), sd(3, 1, 0), sd(2, 1, 8), ECALL];
    let loads = [addi(5, 0, 1), ld(2, 1, 0), ld(3, 1, 4), ECALL];
    for (name, prog, next) in [("stores", &stores, READ), ("loads", &loads, 0)] {
        let m = check_program(name, &|env, cpu| {
            code(env, prog);
            cpu.x[1] = 0x4ff8;
            cpu.x[2] = 0x1234;
            cpu.x[3] = 0x5678;
            env.map(0x4000, 0x1000, READ | WRITE);
            env.map(0x5000, 0x1000, next);
            env.write_words(0x4ff8, &[0x3333_3333, 0x4444_4444]);
        });
        assert_eq!(
            m.cpu.pc,
            CODE_AT + 2 * 4,
            "{name}: stopped at the faulting access"
        );
        if name == "loads" {
            assert_eq!(m.cpu.x[2], 0x4444_4444_3333_3333);
            assert_eq!(m.cpu.x[3], 0x5678);
        } else {
            assert_eq!(m.env.raw_load(0x4ff8, Width::D), 0x5678);
        }
    }
}

#[test]
fn access_windows_cover_both_pages_and_end_where_the_base_changes() {
    // Accesses from one base value are checked once per guest block, as a window over both of
    // its pages. Across two read-write pages the whole group runs inline (no access is sent to
    // the interpreter); a base register written in between starts a new window, so an access
    // from the new value into an unmapped page still faults, precisely.
    let across = [sd(3, 1, 0), sd(2, 1, 8), ld(4, 1, 0), ld(5, 1, 8), ECALL];
    let m = check_program("window across two pages", &|env, cpu| {
        code(env, &across);
        cpu.x[1] = 0x4ff8;
        cpu.x[2] = 0x1234;
        cpu.x[3] = 0x5678;
        env.map(0x4000, 0x2000, READ | WRITE);
    });
    assert_eq!((m.cpu.x[4], m.cpu.x[5]), (0x5678, 0x1234));
    let mut j = JitEngine::new(jit_cfg(0, OptLevel::Speed)).expect("jit");
    let mut m = machine(true, &|env, cpu| {
        code(env, &across);
        cpu.x[1] = 0x4ff8;
        env.map(0x4000, 0x2000, READ | WRITE);
    });
    let ex = run_jit(&mut j, &mut m, u64::MAX, 100);
    assert_eq!(ex.map(|e| e.cause), Some(Cause::EcallFromU));
    assert!(j.stats.blocks_translated > 0);
    assert_eq!(j.stats.slow_exits, 0, "the window check passed");

    // x1 = 0x4000 (page 0x5000 unmapped): the second store, from x1 + 4096, faults.
    let moved = [
        sd(2, 1, 8),
        lui(6, 1),
        add(1, 1, 6),
        sd(2, 1, 8),
        sd(3, 1, 0),
        ECALL,
    ];
    // x1 = 0x4000 holds 0x5000: the load replaces the base, and the store from it faults.
    let loaded = [sd(2, 1, 8), ld(1, 1, 0), sd(2, 1, 8), ECALL];
    for (name, prog, at) in [
        ("base moved", &moved[..], 3),
        ("base loaded", &loaded[..], 2),
    ] {
        let m = check_program(name, &|env, cpu| {
            code(env, prog);
            cpu.x[1] = 0x4000;
            cpu.x[2] = 0x1234;
            env.map(0x4000, 0x1000, READ | WRITE);
            env.write_words(0x4000, &[0x5000, 0]);
        });
        assert_eq!(
            m.cpu.pc,
            CODE_AT + at * 4,
            "{name}: stopped at the faulting store"
        );
        assert_eq!(
            m.env.raw_load(0x4008, Width::D),
            0x1234,
            "{name}: earlier store done"
        );
    }

    // A load from a read-only page and a store into the next, from one base: the window needs
    // both kinds on both pages, so the block is sent to the interpreter, with the same results.
    let mixed = [ld(4, 1, 0), sd(2, 1, 8), ECALL];
    let m = check_program("window over a read-only page", &|env, cpu| {
        code(env, &mixed);
        cpu.x[1] = 0x4ff8;
        cpu.x[2] = 0x1234;
        env.map(0x4000, 0x1000, READ);
        env.map(0x5000, 0x1000, READ | WRITE);
        env.write_words(0x4ff8, &[0x77, 0]);
    });
    assert_eq!(m.cpu.x[4], 0x77);
    assert_eq!(m.env.raw_load(0x5000, Width::D), 0x1234);

    // Offsets -2048 and 2047 from one base: more than a page apart, so no window (it would
    // check only its first and last page, and the store into unmapped 0x4000 between them
    // must fault).
    let wide = [
        s_type(-2048, 2, 1, 0, 0x23), // sb x2, -2048(x1): 0x3fff
        s_type(0, 2, 1, 0, 0x23),     // sb x2, 0(x1): 0x47ff, unmapped
        sd(2, 1, 2047),               // 0x4ffe..0x5005
        ECALL,
    ];
    let m = check_program("wider than a page", &|env, cpu| {
        code(env, &wide);
        cpu.x[1] = 0x47ff;
        cpu.x[2] = 0x12;
        env.map(0x3000, 0x1000, READ | WRITE);
        env.map(0x5000, 0x1000, READ | WRITE);
    });
    assert_eq!(m.cpu.pc, CODE_AT + 4);
    assert_eq!(m.env.raw_load(0x3fff, Width::B), 0x12);

    // A window from the table's last page into the page after it: only the first page is
    // bound-checked, the second reads the table's guard byte (no access), so the store past
    // the guest space faults, precisely, after the one before it.
    let top = NPAGES * PAGE;
    let edge = [sd(2, 1, 0), sd(3, 1, 8), ECALL];
    let m = check_program("window past the table", &|env, cpu| {
        code(env, &edge);
        cpu.x[1] = top - 8;
        cpu.x[2] = 0x1234;
        cpu.x[3] = 0x5678;
        env.map(top - PAGE, PAGE, READ | WRITE);
    });
    assert_eq!(m.cpu.pc, CODE_AT + 4, "stopped at the store past the end");
    assert_eq!(m.env.raw_load(top - 8, Width::D), 0x1234);

    // One window over a data page and the page holding this very code: the store into the
    // code must still be seen as one (the translation of 0x1018, in the same region, is
    // dropped and the new instruction runs).
    let patch = [
        sd(2, 1, 0),
        s_type(0x20, 3, 1, 2, 0x23), // sw x3, 0x20(x1): x1 + 0x20 = 0x1018
        beq(0, 0, 16),
        ECALL,
        ECALL,
        ECALL,
        addi(7, 0, 1), // 0x1018, becomes addi x7, x0, 42
        ECALL,
    ];
    let m = check_program("window over code", &|env, cpu| {
        code(env, &patch);
        cpu.x[1] = 0xff8;
        cpu.x[2] = 0x1234;
        cpu.x[3] = u64::from(addi(7, 0, 42));
        env.map(0, 0x1000, READ | WRITE);
        env.map(CODE_AT, 0x1000, READ | WRITE | EXEC);
    });
    assert_eq!(m.cpu.x[7], 42);
    assert_eq!(m.cpu.pc, CODE_AT + 0x1c);
}

#[test]
fn background_compiler_installs_code_while_the_interpreter_runs() {
    // A loop of 20 million iterations: interpreted, far longer than compiling it takes, so
    // the background compiler's code is installed and entered before it ends.
    let prog = [
        addi(1, 0, 0),
        lui(2, 0x1313),   // 0x1313000
        addi(2, 2, -768), // - 0x300 = 20_000_000
        addi(3, 0, 0),
        // loop:
        addi(1, 1, 1),
        add(3, 3, 1),
        beq(1, 2, 8),
        jal(0, -12),
        ECALL,
    ];
    let mut m = machine(true, &|env, _| code(env, &prog));
    let mut j = JitEngine::new(JitConfig {
        background: true,
        ..jit_cfg(1, OptLevel::Speed)
    })
    .expect("jit");
    let ex = run_jit(&mut j, &mut m, 1 << 20, u64::MAX);
    assert_eq!(ex.map(|e| e.cause), Some(Cause::EcallFromU));
    let n: u64 = 20_000_000;
    assert_eq!(m.cpu.x[3], n * (n + 1) / 2);
    // Four to set up, four per iteration but the last (three), the ecall does not retire.
    assert_eq!(m.cpu.instret, 4 * n + 3);
    assert!(j.stats.blocks_translated > 0, "nothing installed");
    assert!(j.stats.jit_entries > 0, "translated code never ran");
}

#[test]
fn calls_and_returns() {
    // main calls f 300 times via jal; f adds its argument and returns via jalr; also one call
    // through a register (auipc + jalr) to exercise indirect jumps to constants.
    let prog = [
        addi(10, 0, 0),   // 0x00 acc
        addi(11, 0, 0),   // 0x04 i
        addi(12, 0, 300), // 0x08 n
        // loop (0x0c):
        addi(11, 11, 1),  // 0x0c
        jal(1, 0x20),     // 0x10 -> f at 0x30
        auipc(5, 0),      // 0x14 x5 = 0x1014
        jalr(1, 5, 0x1c), // 0x18 -> f at 0x1030
        beq(11, 12, 8),   // 0x1c
        jal(0, -20),      // 0x20 -> 0x0c
        ECALL,            // 0x24
        0,                // 0x28 (illegal, never reached)
        0,                // 0x2c
        // f (0x30):
        add(10, 10, 11),
        jalr(0, 1, 0),
    ];
    let m = check_program("calls_and_returns", &|env, _| code(env, &prog));
    assert_eq!(m.cpu.x[10], 2 * (300 * 301 / 2));
}

#[test]
fn returns_inside_a_region() {
    // f(n) = n + f(n - 1), recursive through the stack; main calls it 30 times, and h each
    // time, which returns past the instruction after its call on odd iterations. Translated
    // regions follow the calls into f and h: f's returns continue inside the region at the
    // instruction after a call of f when its return address is that one, and h's returns,
    // compared with the address after its call, must leave for the other one when they
    // differ.
    let prog = [
        addi(20, 0, 30),    // 0x00 iterations
        addi(21, 0, 0),     // 0x04 acc
        lui(2, 6),          // 0x08 sp = 0x6000
        addi(10, 0, 100),   // 0x0c loop: a0 = 100
        jal(1, 0x30),       // 0x10 f(100)
        add(21, 21, 10),    // 0x14
        jal(1, 0x68),       // 0x18 h
        addi(21, 21, 1000), // 0x1c skipped when x20 is odd
        addi(20, 20, -1),   // 0x20
        beq(20, 0, 8),      // 0x24
        jal(0, -0x1c),      // 0x28 -> 0x0c
        ECALL,              // 0x2c
        0,                  // 0x30
        0,                  // 0x34
        0,                  // 0x38
        0,                  // 0x3c
        beq(10, 0, 0x30),   // 0x40 f: n == 0 -> 0x70
        addi(2, 2, -16),    // 0x44
        sd(1, 2, 8),        // 0x48
        sd(10, 2, 0),       // 0x4c
        addi(10, 10, -1),   // 0x50
        jal(1, -0x14),      // 0x54 f(n - 1)
        ld(6, 2, 0),        // 0x58
        add(10, 10, 6),     // 0x5c
        ld(1, 2, 8),        // 0x60
        addi(2, 2, 16),     // 0x64
        jalr(0, 1, 0),      // 0x68
        0,                  // 0x6c
        addi(10, 0, 0),     // 0x70 f(0) = 0
        jalr(0, 1, 0),      // 0x74
        0,                  // 0x78
        0,                  // 0x7c
        andi(7, 20, 1),     // 0x80 h
        beq(7, 0, 8),       // 0x84
        addi(1, 1, 4),      // 0x88 odd: return past the next instruction
        jalr(0, 1, 0),      // 0x8c
    ];
    let m = check_program("returns_inside_a_region", &|env, _| {
        code(env, &prog);
        env.map(0x4000, 0x2000, READ | WRITE);
    });
    assert_eq!(m.cpu.x[21], 30 * 5050 + 15 * 1000);
    assert_eq!(m.cpu.x[2], 0x6000);
    assert_eq!(m.cpu.pc, CODE_AT + 0x2c);
}

#[test]
fn computed_calls_inside_a_region() {
    // A loop calls through x9: g1 for 100 iterations, then g2. A region follows the call to
    // where it went when last interpreted and branches there in the region when the target
    // matches; after the switch it must not.
    let prog = [
        addi(20, 0, 200),  // 0x00 iterations
        addi(21, 0, 0),    // 0x04 acc
        addi(11, 0, 100),  // 0x08 switch point
        auipc(8, 0),       // 0x0c x8 = 0x100c
        addi(9, 8, 0x34),  // 0x10 x9 = g1
        jalr(1, 9, 0),     // 0x14 loop: call x9
        add(21, 21, 10),   // 0x18
        addi(20, 20, -1),  // 0x1c
        beq(20, 11, 8),    // 0x20
        jal(0, 8),         // 0x24 -> 0x2c
        addi(9, 8, 0x44),  // 0x28 x9 = g2
        beq(20, 0, 8),     // 0x2c -> 0x34
        jal(0, -0x1c),     // 0x30 -> 0x14
        ECALL,             // 0x34
        0,                 // 0x38
        0,                 // 0x3c
        addi(10, 0, 1),    // 0x40 g1
        jalr(0, 1, 0),     // 0x44
        0,                 // 0x48
        0,                 // 0x4c
        addi(10, 0, 1000), // 0x50 g2
        jalr(0, 1, 0),     // 0x54
    ];
    let m = check_program("computed_calls_inside_a_region", &|env, _| code(env, &prog));
    assert_eq!(m.cpu.x[21], 100 + 100 * 1000);
    assert_eq!(m.cpu.pc, CODE_AT + 0x34);
}

/// The loop of `switches_index_a_table_of_their_targets`, and the cases it jumps to:
/// iteration `i` jumps to case `i & 15`, only even cases for the first 300 iterations.
fn switch_program() -> Vec<u32> {
    let slli = |rd, rs1, sh| i_type(sh, rs1, 1, rd, 0x13);
    let slt = |rd, rs1, rs2| r_type(0, rs2, rs1, 2, rd, 0x33);
    let xor = |rd, rs1, rs2| r_type(0, rs2, rs1, 4, rd, 0x33);
    let mut prog = vec![
        addi(20, 0, 600), // 0x00 iterations
        addi(21, 0, 0),   // 0x04 acc
        auipc(8, 0),      // 0x08 x8 = 0x1008
        addi(22, 0, 0),   // 0x0c i
        addi(24, 0, 300), // 0x10
        andi(7, 22, 15),  // 0x14 loop: k = i & 15
        slt(23, 22, 24),  // 0x18
        beq(23, 0, 8),    // 0x1c i >= 300 -> 0x24
        andi(7, 7, 14),   // 0x20 even cases only
        slli(10, 7, 4),   // 0x24
        add(9, 10, 8),    // 0x28
        jalr(0, 9, 0x38), // 0x2c -> case k at 0x40 + 16 * k
        addi(22, 22, 1),  // 0x30 each case comes back here
        beq(22, 20, 8),   // 0x34
        jal(0, -0x24),    // 0x38 -> 0x14
        ECALL,            // 0x3c
    ];
    for k in 0..16i32 {
        let at = 0x40 + 16 * k;
        prog.push(addi(21, 21, 37 * k + 1));
        prog.push(if k % 2 == 1 {
            xor(21, 21, 22)
        } else {
            add(21, 21, 22)
        });
        prog.push(jal(0, 0x30 - (at + 8)));
        prog.push(0);
    }
    prog
}

#[test]
fn switches_index_a_table_of_their_targets() {
    // A computed jump (not a call or a return) to eight places while the interpreter runs
    // it: a region of the loop takes all of them in, and the jump indexes a table of them.
    // After iteration 300 it also goes to the eight cases between those, which the table
    // sends to the jump-cache lookup and out of the region.
    let prog = switch_program();
    let m = check_program("switches_index_a_table_of_their_targets", &|env, _| {
        code(env, &prog)
    });
    let mut acc = 0u64;
    for i in 0..600u64 {
        let k = if i < 300 { i & 14 } else { i & 15 };
        acc = acc.wrapping_add(37 * k + 1);
        acc = if k % 2 == 1 {
            acc ^ i
        } else {
            acc.wrapping_add(i)
        };
    }
    assert_eq!(m.cpu.x[21], acc);
    assert_eq!(m.cpu.pc, CODE_AT + 0x3c);
    // Translated once the loop is hot (iteration 50), its switch has a table of the even
    // cases. From iteration 300 the odd cases go back to the dispatcher, which records them;
    // after 32 such reports the region is translated again, with all sixteen cases, and
    // reports nothing more.
    let mut m = machine(true, &|env, _| code(env, &prog));
    let mut j = JitEngine::new(jit_cfg(50, OptLevel::Speed)).expect("jit");
    let ex = run_jit(&mut j, &mut m, u64::MAX, 5_000_000);
    assert_eq!(ex.map(|e| e.cause), Some(Cause::EcallFromU));
    assert_eq!(m.cpu.x[21], acc);
    let s = &j.stats;
    assert_eq!(
        (s.switch_tables, s.switch_misses, s.retranslations),
        (2, 32, 1),
        "{s:?}"
    );
}

#[test]
fn loads_and_stores() {
    // Data at 0x4000 (rw), 0x6000 (read-only). Stores and loads, unaligned and page-crossing.
    let prog = [
        lui(5, 4), // x5 = 0x4000
        addi(6, 0, 0x123),
        sd(6, 5, 0),
        ld(7, 5, 0),
        sd(7, 5, 3), // unaligned
        ld(8, 5, 3),
        lui(9, 5),      // x9 = 0x5000
        addi(9, 9, -4), // 0x4ffc: crosses into 0x5000 (rw)
        sd(6, 9, 0),
        ld(10, 9, 0),
        add(11, 10, 8),
        ld(12, 9, 1), // still crossing, misaligned
        ECALL,
    ];
    let m = check_program("loads_and_stores", &|env, _| {
        code(env, &prog);
        env.map(0x4000, 0x2000, READ | WRITE);
        env.map(0x6000, 0x1000, READ);
    });
    assert_eq!(m.cpu.x[10], 0x123);
    assert_eq!(m.cpu.x[8], 0x123);
}

#[test]
fn multiplication_pairs_share_one_widening_multiply() {
    // `mul` then `mulhu`/`mulh` of the same operands (in either order) become one widening
    // multiply; an operand written in between, or another pair's operands, must not be
    // mistaken for them.
    let m = |f3: u32, rd: u32, rs1: u32, rs2: u32| r_type(1, rs2, rs1, f3, rd, 0x33);
    let prog = [
        m(0, 3, 1, 2), // mul x3, x1, x2
        m(3, 4, 1, 2), // mulhu x4, x1, x2
        m(0, 5, 2, 1), // mul x5, x2, x1
        m(1, 6, 1, 2), // mulh x6, x1, x2 (signed, operands swapped)
        m(0, 7, 1, 1), // mul x7, x1, x1
        add(1, 1, 2),  // x1 changes
        m(3, 8, 1, 1), // mulhu x8, x1', x1': not the square above
        m(2, 9, 2, 1), // mulhsu x9, x2, x1'
        add(10, 3, 7), // the low halves are still used after their pairs
        ECALL,
    ];
    for (a, b) in [
        (u64::MAX, 3u64),
        (i64::MIN as u64, u64::MAX),
        (0x1234_5678_9abc_def0, 0xfedc_ba98_7654_3210),
        (0, 0x8000_0000_0000_0001),
    ] {
        let name = format!("mul pairs {a:#x} {b:#x}");
        let r = check_program(&name, &|env, cpu| {
            code(env, &prog);
            cpu.x[1] = a;
            cpu.x[2] = b;
        });
        let x = &r.cpu.x;
        let wide = u128::from(a) * u128::from(b);
        let signed = i128::from(a as i64) * i128::from(b as i64);
        let a2 = a.wrapping_add(b);
        assert_eq!(x[3], wide as u64, "{name}: mul");
        assert_eq!(x[4], (wide >> 64) as u64, "{name}: mulhu");
        assert_eq!(x[5], wide as u64, "{name}: mul, swapped");
        assert_eq!(x[6], (signed >> 64) as u64, "{name}: mulh");
        assert_eq!(x[7], a.wrapping_mul(a), "{name}: square");
        let sq = u128::from(a2) * u128::from(a2);
        assert_eq!(x[8], (sq >> 64) as u64, "{name}: mulhu of the new x1");
        let su = i128::from(b as i64) * i128::from(a2);
        assert_eq!(x[9], (su >> 64) as u64, "{name}: mulhsu");
        assert_eq!(x[10], x[3].wrapping_add(x[7]), "{name}: low halves");
    }
}

/// The loop of `divisions_specialised_for_their_last_divisor`: x1 / x2 by all six division
/// instructions into a checksum x11, x1 += x7 each iteration, x8 iterations, x2 += x13 every
/// 256 iterations.
fn division_loop_program() -> [u32; 19] {
    let m = |f3: u32, rd: u32| r_type(1, 2, 1, f3, rd, 0x33);
    let w = |f3: u32, rd: u32| r_type(1, 2, 1, f3, rd, 0x3b);
    let xor = |rd: u32, rs1: u32, rs2: u32| r_type(0, rs2, rs1, 4, rd, 0x33);
    let bne = |rs1: u32, rs2: u32, off: i32| beq(rs1, rs2, off) | 1 << 12;
    [
        m(5, 3),  // divu x3
        m(7, 4),  // remu x4
        m(4, 5),  // div x5
        m(6, 6),  // rem x6
        w(5, 9),  // divuw x9
        w(6, 10), // remw x10
        add(11, 11, 3),
        xor(11, 11, 4),
        add(11, 11, 5),
        xor(11, 11, 6),
        add(11, 11, 9),
        xor(11, 11, 10),
        add(1, 1, 7),
        addi(8, 8, -1),
        andi(12, 8, 255),
        bne(12, 0, 8),
        add(2, 2, 13),
        bne(8, 0, -68),
        ECALL,
    ]
}

/// The checksum x11 of [`division_loop_program`], by the specification's division rules.
fn division_loop_checksum(mut x1: u64, mut x2: u64, x7: u64, x13: u64, n: u64) -> u64 {
    let divu = |a: u64, b: u64| a.checked_div(b).unwrap_or(u64::MAX);
    let remu = |a: u64, b: u64| a.checked_rem(b).unwrap_or(a);
    let div = |a: i64, b: i64| match b {
        0 => -1,
        _ => a.wrapping_div(b),
    };
    let rem = |a: i64, b: i64| match b {
        0 => a,
        _ => a.wrapping_rem(b),
    };
    let mut sum = 0u64;
    for i in (0..n).rev() {
        let (a32, b32) = (x1 as u32, x2 as u32);
        let divuw = a32.checked_div(b32).unwrap_or(u32::MAX) as i32 as u64;
        let remw = match b32 as i32 {
            0 => a32 as i32,
            b => (a32 as i32).wrapping_rem(b),
        } as u64;
        sum = sum.wrapping_add(divu(x1, x2));
        sum ^= remu(x1, x2);
        sum = sum.wrapping_add(div(x1 as i64, x2 as i64) as u64);
        sum ^= rem(x1 as i64, x2 as i64) as u64;
        sum = sum.wrapping_add(divuw);
        sum ^= remw;
        x1 = x1.wrapping_add(x7);
        if i % 256 == 0 {
            x2 = x2.wrapping_add(x13);
        }
    }
    sum
}

#[test]
fn divisions_specialised_for_their_last_divisor() {
    // A division by a register divides by the constant the interpreter last saw there when
    // the register holds it again (a reciprocal multiplication), by the register otherwise.
    // The divisor changes every 256 iterations, long after the loop is translated: to 0, -1,
    // 1, the most negative value, other values, with dividends of every sign and size.
    let prog = division_loop_program();
    const N: u64 = 1200;
    for (x1, x2, x7, x13) in [
        (0u64, 7u64, 0x9e37_79b9_7f4a_7c15u64, 0u64),
        (i64::MIN as u64, 3, 0x0123_4567_89ab_cdef, (-3i64) as u64),
        (5, 2, 0xfedc_ba98_7654_3210, (-1i64) as u64),
        (u64::MAX, 1_200_000, 0x8000_0000_0000_0001, 1u64 << 63),
        (1 << 40, 96, 0x1_0000_0001, 0xffff_ffff_0000_0061),
    ] {
        let name = format!("divisions {x1:#x} / {x2:#x} (+{x7:#x}, +{x13:#x})");
        let setup = |env: &mut TestEnv, cpu: &mut CpuState| {
            code(env, &prog);
            cpu.x[1] = x1;
            cpu.x[2] = x2;
            cpu.x[7] = x7;
            cpu.x[8] = N;
            cpu.x[13] = x13;
        };
        let r = check_program(&name, &setup);
        assert_eq!(r.cpu.x[8], 0, "{name}");
        assert_eq!(
            r.cpu.x[11],
            division_loop_checksum(x1, x2, x7, x13, N),
            "{name}: checksum"
        );
        // Translated after 50 interpreted runs of the loop: all six divisions are specialised
        // (with the first divisor, 0 or 1 excepted, signed -1 and the most negative too).
        let mut m = machine(true, &setup);
        let mut j = JitEngine::new(jit_cfg(50, OptLevel::Speed)).expect("jit");
        run_jit(&mut j, &mut m, u64::MAX, u64::MAX);
        assert_eq!(m.cpu.x[11], r.cpu.x[11], "{name}");
        assert_eq!(j.stats.divisions_specialised, 6, "{name}: {:?}", j.stats);
    }
}

#[test]
fn faulting_store_to_read_only_page() {
    let prog = [
        lui(5, 6), // 0x6000, read-only
        addi(6, 0, 7),
        add(7, 6, 6),
        sd(6, 5, 8), // faults: x7 must be written back, pc and instret precise
        addi(8, 0, 1),
        ECALL,
    ];
    let m = check_program("store_fault", &|env, _| {
        code(env, &prog);
        env.map(0x6000, 0x1000, READ);
    });
    assert_eq!(m.cpu.pc, CODE_AT + 12);
    assert_eq!(m.cpu.instret, 3);
    assert_eq!(m.cpu.x[7], 14);
}

#[test]
fn faulting_loads() {
    for (name, addr_page, off) in [
        ("unmapped", 0x8u32, 0),
        ("crossing into unmapped", 0x8, -4),
        ("beyond the table", 0x7ffff, 0),
    ] {
        let prog = [
            lui(5, addr_page),
            addi(5, 5, 0),
            addi(5, 5, off),
            addi(6, 0, 5),
            ld(7, 5, 0),
            ECALL,
        ];
        check_program(name, &|env, _| {
            code(env, &prog);
            env.map(0x4000, 0x4000, READ | WRITE);
        });
    }
}

#[test]
fn fetch_fault_and_illegal() {
    // Jump into an unmapped page; and separately run into an illegal word.
    check_program("jump to unmapped", &|env, _| {
        code(env, &[addi(1, 0, 3), lui(5, 9), jalr(0, 5, 0)])
    });
    check_program("illegal", &|env, _| {
        code(env, &[addi(1, 0, 3), add(2, 1, 1), 0])
    });
    // Run off the end of the mapped code.
    check_program("run off the end", &|env, _| {
        env.map(CODE_AT, 0x1000, READ | EXEC);
        let words = vec![addi(1, 1, 1); 1024];
        env.write_words(CODE_AT, &words);
    });
}

#[test]
fn self_modifying_code() {
    // Code on a read-write-execute page rewrites the immediate of an `addi` it then executes,
    // with fence.i in between, several times.
    const RWX: u64 = 0x8000;
    let prog = [
        addi(1, 0, 0),  // 0x00
        addi(2, 0, 20), // 0x04 iterations
        lui(5, 8),      // 0x08 x5 = 0x8000 (the patched instruction)
        ld(6, 5, 0),    // 0x0c the word pair at 0x8000
        // loop (0x10):
        lui(7, 0x100),  // 0x10 x7 = 1 << 20 (adds 1 to the addi immediate)
        add(6, 6, 7),   // 0x14
        sd(6, 5, 0),    // 0x18 patch
        FENCE_I,        // 0x1c
        jalr(1, 5, 0),  // 0x20 call the patched code
        addi(2, 2, -1), // 0x24
        beq(2, 0, 8),   // 0x28
        jal(0, -28),    // 0x2c -> 0x10
        ECALL,          // 0x30
    ];
    let patched = [addi(3, 3, 0), jalr(0, 1, 0)];
    let m = check_program("smc", &|env, _| {
        code(env, &prog);
        env.map(RWX, 0x1000, READ | WRITE | EXEC);
        env.write_words(RWX, &patched);
    });
    assert_eq!(m.cpu.x[3], (1..=20).sum::<u64>());
    assert_eq!(m.env.fence_i_count, 20);
}

#[test]
fn code_cache_flush_when_full() {
    // Many distinct blocks in a loop with a tiny code cache: the JIT must flush and carry on.
    let mut prog = vec![addi(1, 0, 0), addi(2, 0, 50)];
    let loop_at = prog.len();
    for _ in 0..200 {
        prog.push(addi(3, 3, 1));
        // An always-taken branch ends a block (a `jal` would be followed into a superblock).
        prog.push(beq(0, 0, 4));
    }
    prog.push(addi(1, 1, 1));
    prog.push(beq(1, 2, 8));
    let back = -(((prog.len() - loop_at) * 4) as i32);
    prog.push(jal(0, back));
    prog.push(ECALL);
    let setup = |env: &mut TestEnv, _: &mut CpuState| code(env, &prog);
    let mut reference = machine(true, &setup);
    let ex = run_interp(&mut reference, u64::MAX, u64::MAX);
    let mut m = machine(true, &setup);
    let mut cfg = jit_cfg(2, OptLevel::None);
    cfg.code_cache_size = 16 << 10;
    let mut j = JitEngine::new(cfg).expect("jit");
    let jex = run_jit(&mut j, &mut m, u64::MAX, u64::MAX);
    assert_eq!(ex, jex);
    assert_same(&reference, &m, "tiny cache");
    assert!(j.stats.flushes > 0, "expected flushes: {:?}", j.stats);
    assert_eq!(m.cpu.x[3], 200 * 50);
}

#[test]
fn chaining_happens() {
    // A loop too long for one translated region (MAX_REGION_INSNS): its parts continue into
    // each other through chain slots.
    let mut prog = vec![addi(1, 0, 0), addi(2, 0, 0x7ff)];
    prog.extend((0..250).map(|_| addi(3, 3, 1)));
    prog.push(addi(1, 1, 1));
    prog.push(beq(1, 2, 8));
    prog.push(beq(0, 0, -(252 * 4)));
    prog.push(ECALL);
    let setup = |env: &mut TestEnv, _: &mut CpuState| code(env, &prog);
    let mut reference = machine(true, &setup);
    let ex = run_interp(&mut reference, u64::MAX, u64::MAX);
    let mut m = machine(true, &setup);
    let mut j = JitEngine::new(jit_cfg(2, OptLevel::None)).expect("jit");
    let jex = run_jit(&mut j, &mut m, u64::MAX, u64::MAX);
    assert_eq!(jex.map(|e| e.cause), Some(Cause::EcallFromU));
    assert_eq!(ex, jex);
    assert_same(&reference, &m, "chained loop");
    assert_eq!(m.cpu.x[3], 250 * 0x7ff);
    assert!(j.stats.chained_exits > 0, "{:?}", j.stats);
    // The hot loop runs chained: few returns to the dispatcher.
    assert!(j.stats.jit_entries < 20, "{:?}", j.stats);
}

#[test]
fn loop_of_several_blocks_runs_in_one_region() {
    // Two blocks (the second reached by a conditional branch) that loop: one translation.
    let prog = [
        addi(1, 0, 0),
        addi(2, 0, 0x7ff),
        addi(1, 1, 1),
        beq(1, 2, 8),
        beq(0, 0, -8),
        ECALL,
    ];
    let setup = |env: &mut TestEnv, _: &mut CpuState| code(env, &prog);
    let mut reference = machine(true, &setup);
    let ex = run_interp(&mut reference, u64::MAX, u64::MAX);
    let mut m = machine(true, &setup);
    let mut j = JitEngine::new(jit_cfg(2, OptLevel::None)).expect("jit");
    let jex = run_jit(&mut j, &mut m, u64::MAX, u64::MAX);
    assert_eq!(jex.map(|e| e.cause), Some(Cause::EcallFromU));
    assert_eq!(ex, jex);
    assert_same(&reference, &m, "region loop");
    assert_eq!(m.cpu.x[1], 0x7ff);
    assert!(j.stats.jit_entries < 10, "{:?}", j.stats);
}

// ---- differential random testing ----

const RAND_CODE: u64 = 0x1000;
const RAND_INSNS: u64 = 96;

/// A random program of valid words from the decode table, with branch and jump offsets kept
/// inside the program (so control flow stays interesting) and a random start state with some
/// registers pointing into data pages.
fn random_setup(seed: u64) -> impl Fn(&mut TestEnv, &mut CpuState) {
    move |env: &mut TestEnv, cpu: &mut CpuState| {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let table = translator::riscv::table::<Interp<TestEnv>>();
        let entries: Vec<_> = table.entries().collect();
        let mut words = Vec::new();
        for k in 0..RAND_INSNS {
            let e = entries[rng.below(entries.len() as u64) as usize];
            let mut w = (rng.next() as u32 & !e.mask) | e.bits;
            // Keep register fields mostly in a small set so values flow between instructions.
            let regs = [0u32, 1, 2, 5, 6, 7, 8, 9, 10, 11];
            for shift in [7, 15, 20] {
                let field = 0x1f << shift;
                if e.mask & field == 0 && rng.below(4) != 0 {
                    let r = regs[rng.below(regs.len() as u64) as usize];
                    w = (w & !field) | r << shift;
                }
            }
            let here = (k * 4) as i64;
            let target = (rng.below(RAND_INSNS + 4) * 4) as i64 - here;
            match e.imm {
                Imm::B => w = (w & !b_imm(-2)) | b_imm(target as i32),
                Imm::J => w = (w & !j_imm(-2)) | j_imm(target as i32),
                _ => {}
            }
            words.push(w);
        }
        words.push(ECALL);
        env.map(RAND_CODE, 0x1000, READ | EXEC);
        env.write_words(RAND_CODE, &words);
        // Data pages: 0x4000..0xc000 rw, 0xc000 read-only, 0xd000 write-only, 0xe000
        // unmapped, 0xf000 rwx.
        env.map(0x4000, 0x8000, READ | WRITE);
        env.map(0xc000, 0x1000, READ);
        env.map(0xd000, 0x1000, WRITE);
        env.map(0xf000, 0x1000, READ | WRITE | EXEC);
        let fill: Vec<u8> = (0..0xc000 - 0x4000).map(|_| rng.next() as u8).collect();
        env.write(0x4000, &fill);
        for (i, x) in cpu.x.iter_mut().enumerate().skip(1) {
            *x = match rng.below(4) {
                0 => 0x4000 + rng.below(0xc000),
                1 => rng.below(64),
                2 => rng.next(),
                _ if i % 2 == 0 => 0x8000 + rng.below(0x800),
                _ => rng.next() as i32 as i64 as u64,
            };
        }
        for f in cpu.f.iter_mut() {
            *f = rng.next();
        }
        cpu.pc = RAND_CODE;
    }
}

/// Skips the instruction at `pc` after an exception (as a syscall or signal handler would),
/// or stops when that is impossible (fetch fault).
fn skip_faulting(m: &mut Interp<TestEnv>) -> bool {
    let Ok(lo) = m.env.fetch16(m.cpu.pc) else {
        return false;
    };
    m.cpu.pc = m.cpu.pc.wrapping_add(if lo & 3 == 3 { 4 } else { 2 });
    m.cpu.instret += 1;
    true
}

/// Runs both engines in lockstep, one block at a time (budget 1): the engine that is behind
/// (fewer instructions retired) runs next, and whenever both have retired the same number of
/// instructions their results and states must agree. (Their blocks differ: the interpreter's
/// continue past not-taken branches, the JIT's regions follow both sides; both end at taken
/// exits, so they meet often.) An exception must happen in both at the same instruction.
fn differential_lockstep(seed: u64, opt: OptLevel, regalloc: RegAlloc) {
    let setup = random_setup(seed);
    let mut a = machine(true, &setup);
    let mut b = machine(!seed.is_multiple_of(3), &setup);
    let mut ie: InterpEngine<TestEnv> = InterpEngine::new();
    let mut je = JitEngine::new(JitConfig {
        regalloc,
        ..jit_cfg((seed % 3) as u32, opt)
    })
    .expect("jit");
    let (mut ra, mut rb) = (Ok(()), Ok(()));
    let mut met = 0;
    for step in 0..800 {
        let what = format!("seed {seed} step {step}");
        let (ia, ib) = (a.cpu.instret, b.cpu.instret);
        if ia <= ib && ra.is_ok() {
            ra = ie.run(&mut a, 1);
        }
        if ib <= ia && rb.is_ok() {
            rb = je.run(&mut b, 1);
        }
        let (ia, ib) = (a.cpu.instret, b.cpu.instret);
        if ia != ib {
            // The engine behind must not fault before reaching the other one.
            let behind_fault = if ia < ib { &ra } else { &rb };
            assert!(
                behind_fault.is_ok() || ra.is_err() && rb.is_err(),
                "{what}: fault at instret {} in one engine only ({ra:?} / {rb:?}, instret {ia} / {ib})",
                ia.min(ib)
            );
            if ra.is_err() && rb.is_err() {
                panic!("{what}: faults at different instructions: {ra:?} at {ia}, {rb:?} at {ib}");
            }
            continue;
        }
        if ra.is_err() != rb.is_err() {
            // One engine stopped at the faulting instruction; the other stopped just before it
            // (its block ended there) and must fault there when it runs on.
            continue;
        }
        met += 1;
        assert_eq!(ra, rb, "{what}: result");
        assert_same(&a, &b, &what);
        if ra.is_err() {
            if !(skip_faulting(&mut a) && skip_faulting(&mut b)) {
                break;
            }
            (ra, rb) = (Ok(()), Ok(()));
        }
    }
    assert!(met > 0, "seed {seed}: the engines never met");
}

/// Runs both engines freely (chaining allowed) and compares at each exception, until
/// `deadline` (a loop around `fence.i` makes the JIT flush and retranslate at every turn).
fn differential_free(seed: u64, deadline: std::time::Instant) {
    let setup = random_setup(seed);
    let mut a = machine(true, &setup);
    let mut b = machine(true, &setup);
    let mut ie: InterpEngine<TestEnv> = InterpEngine::new();
    let mut je = JitEngine::new(jit_cfg(1, OptLevel::None)).expect("jit");
    for stop in 0..40 {
        if std::time::Instant::now() > deadline {
            return;
        }
        let ra = ie.run(&mut a, 5000);
        let rb = je.run(&mut b, 5000);
        let what = format!("seed {seed} stop {stop}");
        assert_eq!(ra, rb, "{what}: result");
        assert_same(&a, &b, &what);
        if ra.is_err() && !(skip_faulting(&mut a) && skip_faulting(&mut b)) {
            return;
        }
    }
}

#[test]
fn differential_random() {
    let start = std::time::Instant::now();
    let seeds: u64 = if cfg!(debug_assertions) { 100 } else { 300 };
    for seed in 1..=seeds {
        let (opt, regalloc) = match seed % 4 {
            0 => (OptLevel::Speed, RegAlloc::Backtracking),
            1 => (OptLevel::None, RegAlloc::Backtracking),
            2 => (OptLevel::Speed, RegAlloc::SinglePass),
            _ => (OptLevel::None, RegAlloc::SinglePass),
        };
        differential_lockstep(seed, opt, regalloc);
        differential_free(seed, start + std::time::Duration::from_secs(6));
        if start.elapsed().as_secs() >= 5 {
            eprintln!("differential_random: stopped after {seed} seeds (time bound)");
            break;
        }
    }
}

// ---- every emitter operation, against the interpreter's ----

use translator::emit::{BinOp, Cond, Emitter, FenceKind, Helper, UnOp};

const BIN_OPS: [BinOp; 25] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::AndNot,
    BinOp::OrNot,
    BinOp::XorNot,
    BinOp::Shl,
    BinOp::Shr,
    BinOp::Sar,
    BinOp::Rotl,
    BinOp::Rotr,
    BinOp::Mul,
    BinOp::MulHS,
    BinOp::MulHU,
    BinOp::MulHSU,
    BinOp::DivS,
    BinOp::DivU,
    BinOp::RemS,
    BinOp::RemU,
    BinOp::MinS,
    BinOp::MinU,
    BinOp::MaxS,
    BinOp::MaxU,
];
const UN_OPS: [UnOp; 13] = [
    UnOp::Not,
    UnOp::Neg,
    UnOp::Sext8,
    UnOp::Sext16,
    UnOp::Sext32,
    UnOp::Zext8,
    UnOp::Zext16,
    UnOp::Zext32,
    UnOp::Clz,
    UnOp::Ctz,
    UnOp::Cpop,
    UnOp::Rev8,
    UnOp::OrcB,
];
const CONDS: [Cond; 6] = [
    Cond::Eq,
    Cond::Ne,
    Cond::LtS,
    Cond::GeS,
    Cond::LtU,
    Cond::GeU,
];
const AMOS: [AmoOp; 9] = [
    AmoOp::Swap,
    AmoOp::Add,
    AmoOp::Xor,
    AmoOp::And,
    AmoOp::Or,
    AmoOp::Min,
    AmoOp::Max,
    AmoOp::MinU,
    AmoOp::MaxU,
];
const WIDTHS: [Width; 4] = [Width::B, Width::H, Width::W, Width::D];

extern "C" fn helper_mix(cpu: &mut CpuState, a: u64, b: u64, c: u64) -> u64 {
    cpu.fflags |= (a ^ b) & 0x1f;
    a.rotate_left(7) ^ b.wrapping_mul(3) ^ c ^ cpu.frm
}
extern "C" fn helper_raise(cpu: &mut CpuState, a: u64, b: u64, _c: u64) -> u64 {
    if a & 3 == 0 {
        cpu.raise_from_helper(Cause::IllegalInstruction, b);
        return 0;
    }
    a.wrapping_add(b)
}
static MIX: Helper = Helper {
    name: "test_mix",
    f: helper_mix,
    may_raise: false,
    fast: None,
};
static RAISE: Helper = Helper {
    name: "test_raise",
    f: helper_raise,
    may_raise: true,
    fast: None,
};

/// One operation of a synthetic instruction (registers are indices 0..32; f registers too).
#[derive(Clone, Copy, Debug)]
enum Op {
    Imm(u8, u64),
    Bin(BinOp, u8, u8, u8),
    Un(UnOp, u8, u8),
    Cmp(Cond, u8, u8, u8),
    Select(u8, u8, u8, u8),
    FMove(u8, u8, u8),
    Load(u8, u8, Width, bool),
    Store(u8, u8, Width),
    Lr(u8, u8, Width),
    Sc(u8, u8, u8, Width),
    Amo(AmoOp, u8, u8, u8, Width),
    Csr(u16, CsrOp, u8, u8, bool, bool),
    Call(bool, u8, u8, u8, u8),
    Fence,
    Branch(u8, u64),
    Jump(u8),
}

fn synth<E: Emitter>(e: &mut E, ops: &[Op]) -> Result<(), Exception> {
    for op in ops {
        match *op {
            Op::Imm(d, v) => {
                let v = e.imm(v);
                e.set_xreg(d, v)
            }
            Op::Bin(o, d, a, b) => {
                let (a, b) = (e.xreg(a), e.xreg(b));
                let v = e.bin(o, a, b);
                e.set_xreg(d, v)
            }
            Op::Un(o, d, a) => {
                let a = e.xreg(a);
                let v = e.un(o, a);
                e.set_xreg(d, v)
            }
            Op::Cmp(c, d, a, b) => {
                let (a, b) = (e.xreg(a), e.xreg(b));
                let v = e.cmp(c, a, b);
                e.set_xreg(d, v)
            }
            Op::Select(d, c, t, f) => {
                let (c, t, f) = (e.xreg(c), e.xreg(t), e.xreg(f));
                let v = e.select(c, t, f);
                e.set_xreg(d, v)
            }
            Op::FMove(d, a, x) => {
                let v = e.freg(a);
                let w = e.xreg(x);
                let s = e.bin(BinOp::Xor, v, w);
                e.set_freg(d, s);
                e.set_xreg(x, v);
            }
            Op::Load(d, a, w, s) => {
                let a = e.xreg(a);
                let v = e.load(a, w, s)?;
                e.set_xreg(d, v)
            }
            Op::Store(a, v, w) => {
                let (a, v) = (e.xreg(a), e.xreg(v));
                e.store(a, v, w)?
            }
            Op::Lr(d, a, w) => {
                let a = e.xreg(a);
                let v = e.load_reserved(a, w)?;
                e.set_xreg(d, v)
            }
            Op::Sc(d, a, v, w) => {
                let (a, v) = (e.xreg(a), e.xreg(v));
                let r = e.store_conditional(a, v, w)?;
                e.set_xreg(d, r)
            }
            Op::Amo(o, d, a, v, w) => {
                let (a, v) = (e.xreg(a), e.xreg(v));
                let r = e.amo(o, a, v, w)?;
                e.set_xreg(d, r)
            }
            Op::Csr(csr, o, d, s, r, w) => {
                let s = e.xreg(s);
                let v = e.csr(csr, o, s, r, w)?;
                e.set_xreg(d, v)
            }
            Op::Call(raise, d, a, b, c) => {
                let (a, b, c) = (e.xreg(a), e.xreg(b), e.xreg(c));
                let v = e.call(if raise { &RAISE } else { &MIX }, a, b, c)?;
                e.set_xreg(d, v)
            }
            Op::Fence => e.fence(FenceKind::Data),
            Op::Branch(c, t) => {
                let c = e.xreg(c);
                e.branch(c, t);
                return Ok(());
            }
            Op::Jump(r) => {
                let t = e.xreg(r);
                let m = e.imm(!1);
                let t = e.bin(BinOp::And, t, m);
                e.jump(t);
                return Ok(());
            }
        }
    }
    Ok(())
}

fn random_op(rng: &mut Rng) -> Op {
    let r = |rng: &mut Rng| rng.below(12) as u8;
    match rng.below(16) {
        0 => Op::Imm(r(rng), interesting(rng)),
        1..=4 => Op::Bin(BIN_OPS[rng.below(25) as usize], r(rng), r(rng), r(rng)),
        5 => Op::Un(UN_OPS[rng.below(13) as usize], r(rng), r(rng)),
        6 => Op::Cmp(CONDS[rng.below(6) as usize], r(rng), r(rng), r(rng)),
        7 => Op::Select(r(rng), r(rng), r(rng), r(rng)),
        8 => Op::FMove(r(rng), r(rng), r(rng)),
        9 => Op::Load(
            r(rng),
            r(rng),
            WIDTHS[rng.below(4) as usize],
            rng.below(2) == 0,
        ),
        10 => Op::Store(r(rng), r(rng), WIDTHS[rng.below(4) as usize]),
        11 => match rng.below(3) {
            0 => Op::Lr(r(rng), r(rng), WIDTHS[2 + rng.below(2) as usize]),
            1 => Op::Sc(r(rng), r(rng), r(rng), WIDTHS[2 + rng.below(2) as usize]),
            _ => Op::Amo(
                AMOS[rng.below(9) as usize],
                r(rng),
                r(rng),
                r(rng),
                WIDTHS[2 + rng.below(2) as usize],
            ),
        },
        12 => {
            let csr = [0x001, 0x002, 0x003, 0xc01, 0xc00, 0x7c0][rng.below(6) as usize];
            let op = [CsrOp::Write, CsrOp::Set, CsrOp::Clear][rng.below(3) as usize];
            Op::Csr(
                csr,
                op,
                r(rng),
                r(rng),
                rng.below(4) != 0,
                rng.below(2) == 0,
            )
        }
        13 => Op::Call(rng.below(2) == 0, r(rng), r(rng), r(rng), r(rng)),
        14 => Op::Fence,
        _ => match rng.below(2) {
            0 => Op::Branch(r(rng), 0x1000 + 4 * rng.below(8)),
            _ => Op::Jump(r(rng)),
        },
    }
}

fn interesting(rng: &mut Rng) -> u64 {
    match rng.below(9) {
        0 => [
            0,
            1,
            u64::MAX,
            i64::MIN as u64,
            i64::MAX as u64,
            63,
            64,
            0xff,
        ][rng.below(8) as usize],
        1 | 2 => 0x4000 + rng.below(0x8000),
        3 => 0xbff8 + rng.below(16),
        4 => 0xc000 + rng.below(0x4000),
        5 => rng.below(100),
        6 => (0..8).fold(0, |v, i| {
            v | [0u64, 1, 0x80, 0xff][rng.below(4) as usize] << (8 * i)
        }),
        _ => rng.next(),
    }
}

#[test]
fn every_emitter_operation_matches_the_interpreter() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut jit = JitEngine::new(jit_cfg(1, OptLevel::None)).expect("jit");
    let mut jit_speed = JitEngine::new(jit_cfg(1, OptLevel::Speed)).expect("jit");
    let setup = |env: &mut TestEnv, cpu: &mut CpuState| {
        env.map(0x1000, 0x1000, READ | EXEC);
        env.map(0x4000, 0x8000, READ | WRITE);
        env.map(0xc000, 0x1000, READ);
        env.map(0xd000, 0x1000, WRITE);
        env.map(0xf000, 0x1000, READ | WRITE | EXEC);
        env.perms[0xf] |= CODE;
        cpu.pc = 0x1000;
    };
    for case in 0..3000 {
        let n = 1 + rng.below(10) as usize;
        let mut ops: Vec<Op> = (0..n).map(|_| random_op(&mut rng)).collect();
        if let Some(end) = ops
            .iter()
            .position(|o| matches!(o, Op::Branch(..) | Op::Jump(..)))
        {
            ops.truncate(end + 1);
        }
        let mut init = machine(true, &setup);
        for x in init.cpu.x.iter_mut().skip(1) {
            *x = interesting(&mut rng);
        }
        for f in init.cpu.f.iter_mut() {
            *f = rng.next();
        }
        init.cpu.frm = rng.below(8);
        init.cpu.fflags = rng.below(32);
        if rng.below(2) == 0 {
            init.cpu.reservation = init.cpu.x[1 + rng.below(11) as usize] & !7;
        }
        let fill: Vec<u8> = (0..0x1000).map(|_| rng.next() as u8).collect();
        init.env.write(0x4000 + 0x1000 * rng.below(8), &fill);
        let snapshot = |m: &Interp<TestEnv>, fast: bool| {
            let mut c = machine(fast, &setup);
            c.cpu = m.cpu.clone();
            let bytes = m.env.bytes().to_vec();
            c.env.write(0, &bytes);
            c
        };
        // The interpreter: one instruction's worth of semantics, then pc/instret as run_block.
        let mut a = snapshot(&init, true);
        let pc = a.cpu.pc;
        let ra = match synth(&mut a, &ops) {
            Ok(()) => {
                if !matches!(ops.last(), Some(Op::Branch(..) | Op::Jump(..))) {
                    a.cpu.pc = pc + 4;
                } else if let Some(Op::Branch(c, _)) = ops.last() {
                    // Interp::branch used its own (zero) pc for the fall-through.
                    if a.cpu.x[*c as usize] == 0 || *c == 0 {
                        a.cpu.pc = pc + 4;
                    }
                }
                a.cpu.instret += 1;
                Ok(())
            }
            Err(e) => {
                a.cpu.pc = pc;
                Err(e)
            }
        };
        for (k, j) in [&mut jit, &mut jit_speed].into_iter().enumerate() {
            let mut b = snapshot(&init, k == 0 || case % 2 == 0);
            let rb = j.run_synthetic(&mut b, &|e| synth(e, &ops));
            let what = format!("case {case} engine {k} ops {ops:?}");
            assert_eq!(ra, rb, "{what}: result");
            assert_same(&a, &b, &what);
        }
    }
}

#[test]
fn self_loop_in_registers_with_precise_fault() {
    // A block that branches to its own start (kept in host registers by the JIT) and leaves
    // the loop by a store fault when its pointer walks off the data page.
    let prog = [
        lui(5, 4), // 0x00 x5 = 0x4000
        addi(1, 0, 0),
        addi(3, 0, 0),
        // loop (0x0c):
        sd(1, 5, 0),
        addi(5, 5, 8),
        addi(1, 1, 1),
        add(3, 3, 1),
        beq(0, 0, -16),
        ECALL,
    ];
    let m = check_program("self loop", &|env, _| {
        code(env, &prog);
        env.map(0x4000, 0x1000, READ | WRITE);
    });
    assert_eq!(m.cpu.x[1], 512);
    assert_eq!(m.cpu.pc, CODE_AT + 0x0c);
    assert_eq!(m.cpu.x[3], 512 * 513 / 2);
}

#[test]
fn self_loop_exits_by_branch() {
    // Inner self-loop over an array of ones ended by a zero, outer loop around it.
    let prog = [
        lui(10, 4),      // 0x00 array base 0x4000
        addi(11, 0, 1),  // 0x04 x11 = 1
        addi(12, 0, 0),  // 0x08 outer counter
        addi(13, 0, 20), // 0x0c outer limit
        // outer (0x10):
        addi(14, 10, 0), // 0x10 pointer
        // inner (0x14):
        add(3, 3, 9),    // 0x14
        addi(14, 14, 8), // 0x18
        ld(9, 14, 0),    // 0x1c
        beq(9, 11, -12), // 0x20 -> 0x14
        addi(12, 12, 1), // 0x24
        beq(12, 13, 8),  // 0x28 -> 0x30
        jal(0, -28),     // 0x2c -> 0x10
        ECALL,           // 0x30
    ];
    let m = check_program("self loop by branch", &|env, _| {
        code(env, &prog);
        env.map(0x4000, 0x2000, READ | WRITE);
        let ones: Vec<u8> = (0..700u64).flat_map(|_| 1u64.to_le_bytes()).collect();
        env.write(0x4008, &ones);
    });
    assert_eq!(m.cpu.x[12], 20);
}

#[test]
fn code_memory_is_never_writable_and_executable() {
    // W^X: translated code runs from a read-execute view and is written through a separate
    // read-write view; no mapping of this process is both writable and executable.
    let setup =
        |env: &mut TestEnv, _: &mut CpuState| code(env, &[addi(1, 0, 5), addi(1, 1, 1), ECALL]);
    let mut m = machine(true, &setup);
    let mut j = JitEngine::new(jit_cfg(0, OptLevel::None)).expect("jit");
    let ex = run_jit(&mut j, &mut m, u64::MAX, u64::MAX);
    assert_eq!(ex.map(|e| e.cause), Some(Cause::EcallFromU));
    assert_eq!(m.cpu.x[1], 6);
    assert!(j.stats.blocks_translated > 0, "{:?}", j.stats);
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    let wx: Vec<&str> = maps
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with("rwx"))
        })
        .collect();
    assert!(wx.is_empty(), "writable and executable mappings: {wx:?}");
    assert!(
        maps.contains("xlate-jit-code"),
        "the code memory views are missing from /proc/self/maps"
    );
}
