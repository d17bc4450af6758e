//! The guest CPU state of one RISC-V hart (RV64 unprivileged state), shared by every engine.
//!
//! The layout is `#[repr(C)]` because translated code reads and writes it by `offset_of!`:
//! this struct is the ABI between the runtime, the interpreter and the JIT, documented once here.

/// Architectural state of one RV64GC hart as seen by user-mode code, plus the few bookkeeping
/// fields engines share (the LR/SC reservation and the exception a helper may raise).
#[repr(C)]
#[derive(Clone, Debug)]
pub struct CpuState {
    /// Integer registers x0..x31. `x[0]` is always zero: engines never write it.
    pub x: [u64; 32],
    /// Floating-point registers f0..f31 as raw 64-bit patterns. Single-precision values are
    /// NaN-boxed (upper 32 bits all ones), as the F extension requires on RV64 with D.
    pub f: [u64; 32],
    /// Address of the next instruction to execute.
    pub pc: u64,
    /// Accrued floating-point exception flags (`fflags`, low 5 bits: NV DZ OF UF NX).
    pub fflags: u64,
    /// Dynamic rounding mode (`frm`, low 3 bits).
    pub frm: u64,
    /// Address of the current LR reservation, or `NO_RESERVATION`.
    pub reservation: u64,
    /// Value loaded by the LR that made the reservation (SC succeeds only if memory still holds it).
    pub reservation_value: u64,
    /// Exception raised by a helper: 0 for none, otherwise `cause + 1`; `pending_tval` is its tval.
    pub pending: u64,
    pub pending_tval: u64,
    /// Instructions retired (engines add whole blocks; precise at every exit to the runtime).
    pub instret: u64,
    /// Translated code leaves at its next chained exit or region back edge once `instret`
    /// reaches this (the JIT's budget; see `translator::jit`). It sits next to the registers
    /// so that the check is one compare with memory at a fixed offset from the state pointer,
    /// which translated code keeps in a host register. Atomic because another thread
    /// lowers it to 0 when it changes translated code that this thread may be running.
    pub stop_at: StopAt,
}

/// [`CpuState::stop_at`]: an instruction count other threads may lower while this one runs.
#[derive(Debug, Default)]
pub struct StopAt(pub std::sync::atomic::AtomicU64);

impl Clone for StopAt {
    fn clone(&self) -> Self {
        Self(std::sync::atomic::AtomicU64::new(self.get()))
    }
}

impl StopAt {
    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the value (by the owning thread; see `translator::jit` for how other threads'
    /// stores are ordered with it).
    pub fn set(&self, v: u64) {
        self.0.store(v, std::sync::atomic::Ordering::Release);
    }
}

/// `CpuState::reservation` when no LR reservation is held.
pub const NO_RESERVATION: u64 = u64::MAX;

impl Default for CpuState {
    fn default() -> Self {
        Self {
            x: [0; 32],
            f: [0; 32],
            pc: 0,
            fflags: 0,
            frm: 0,
            reservation: NO_RESERVATION,
            reservation_value: 0,
            pending: 0,
            pending_tval: 0,
            instret: 0,
            stop_at: StopAt::default(),
        }
    }
}

impl CpuState {
    /// Records an exception raised from inside a helper function; the engine raises it once the
    /// helper returns.
    pub fn raise_from_helper(&mut self, cause: crate::Cause, tval: u64) {
        self.pending = cause as u64 + 1;
        self.pending_tval = tval;
    }

    /// Takes the exception a helper raised, if any.
    pub fn take_pending(&mut self) -> Option<crate::Exception> {
        if self.pending == 0 {
            return None;
        }
        let cause =
            crate::Cause::from_code(self.pending - 1).unwrap_or(crate::Cause::IllegalInstruction);
        self.pending = 0;
        Some(crate::Exception {
            cause,
            tval: self.pending_tval,
        })
    }
}
