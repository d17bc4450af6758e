//! Resource limits of one guest run: `--max-memory` (enforced by guest memory, see
//! [`crate::mem::GuestMemory::set_limit`]), `--max-instructions` and `--timeout` (enforced by the
//! execution loop, which runs the engines with instruction budgets, and by a watchdog thread
//! that raises the engines' exit request when the time is up).
//!
//! A run stopped by a limit ends with its own exit status (not one a signal death gives:
//! [`EXIT_TIMEOUT`] as coreutils' `timeout` uses, [`EXIT_INSTRUCTIONS`]) and one line on stderr.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Exit status of a run stopped by `--timeout` (as `timeout(1)`).
pub const EXIT_TIMEOUT: u8 = 124;
/// Exit status of a run stopped by `--max-instructions`.
pub const EXIT_INSTRUCTIONS: u8 = 123;

/// Instructions the engines run between two looks at the stop flag when a timeout is set
/// (translated code chained block to block only returns when its budget is spent). At 100 to
/// 2000 MIPS this is 2 to 40 ms.
pub const SLICE: u64 = 1 << 22;

/// Time the watchdog gives the execution loop to notice the stop flag before it ends the
/// process itself (the guest may be blocked in a host syscall: read, nanosleep, ...).
pub const GRACE: Duration = Duration::from_secs(2);

/// Which limit stopped the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    /// `--max-instructions N`: at least N instructions retired (at most one block more).
    Instructions(u64),
    /// `--timeout`: the wall-clock time was up.
    Timeout(Duration),
}

impl LimitHit {
    /// The exit status xlate ends with.
    pub fn exit_status(&self) -> u8 {
        match self {
            LimitHit::Instructions(_) => EXIT_INSTRUCTIONS,
            LimitHit::Timeout(_) => EXIT_TIMEOUT,
        }
    }
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Instructions(n) => {
                write!(f, "guest stopped: instruction limit of {n} reached")
            }
            LimitHit::Timeout(d) => {
                write!(
                    f,
                    "guest stopped: time limit of {} s reached",
                    d.as_secs_f64()
                )
            }
        }
    }
}

/// The limits the execution loop enforces, with the stop flag a watchdog raises.
#[derive(Clone, Debug, Default)]
pub struct RunLimits {
    /// Stop once this many instructions retired.
    pub max_instructions: Option<u64>,
    /// Set by the watchdog when the time is up, with the timeout it stood for.
    stop: Option<(Arc<AtomicBool>, Duration)>,
}

impl RunLimits {
    /// Whether the watchdog asked the engines to stop (polled before every block).
    #[inline(always)]
    pub fn stop_requested(&self) -> bool {
        match &self.stop {
            Some((f, _)) => f.load(Ordering::Relaxed),
            None => false,
        }
    }

    /// The limit reached at `instret`, if any.
    #[inline]
    pub fn poll(&self, instret: u64) -> Option<LimitHit> {
        if let Some((f, d)) = &self.stop {
            if f.load(Ordering::Relaxed) {
                return Some(LimitHit::Timeout(*d));
            }
        }
        match self.max_instructions {
            Some(n) if instret >= n => Some(LimitHit::Instructions(n)),
            _ => None,
        }
    }

    /// How many instructions the engines may run from `instret` before the loop looks again.
    #[inline]
    pub fn budget(&self, instret: u64) -> u64 {
        let mut b = u64::MAX;
        if let Some(n) = self.max_instructions {
            b = n.saturating_sub(instret);
        }
        if self.stop.is_some() {
            b = b.min(SLICE);
        }
        b
    }

    /// Starts a watchdog for `timeout`: when it expires the stop flag is raised; if the run has
    /// not ended `GRACE` later (the guest is blocked in the host kernel), the watchdog prints
    /// the limit line and ends the process with [`EXIT_TIMEOUT`]. Drop the returned guard when
    /// the run ends.
    pub fn start_timeout(&mut self, timeout: Duration) -> Watchdog {
        let flag = Arc::new(AtomicBool::new(false));
        self.stop = Some((flag.clone(), timeout));
        let (tx, rx) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("xlate-watchdog".into())
            .spawn(move || {
                if rx.recv_timeout(timeout) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return;
                }
                flag.store(true, Ordering::Relaxed);
                if rx.recv_timeout(GRACE) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return;
                }
                eprintln!("xlate: {}", LimitHit::Timeout(timeout));
                // SAFETY: ends the process at once; the guest is stuck in a host call and
                // nothing of ours needs flushing (guest output goes straight to descriptors).
                unsafe { libc::_exit(EXIT_TIMEOUT as i32) };
            });
        Watchdog {
            _cancel: spawned.ok().map(|_| tx),
        }
    }
}

/// Keeps the watchdog armed; dropping it disarms it.
pub struct Watchdog {
    _cancel: Option<mpsc::Sender<()>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_and_poll_follow_the_instruction_limit() {
        let l = RunLimits {
            max_instructions: Some(1000),
            ..Default::default()
        };
        assert_eq!(l.budget(0), 1000);
        assert_eq!(l.budget(400), 600);
        assert_eq!(l.poll(999), None);
        assert_eq!(l.poll(1003), Some(LimitHit::Instructions(1000)));
        assert_eq!(RunLimits::default().budget(5), u64::MAX);
    }

    #[test]
    fn watchdog_raises_the_flag_and_disarms_on_drop() {
        let mut l = RunLimits::default();
        let w = l.start_timeout(Duration::from_millis(20));
        assert_eq!(l.budget(0), SLICE);
        assert!(!l.stop_requested());
        std::thread::sleep(Duration::from_millis(200));
        assert!(l.stop_requested());
        assert_eq!(
            l.poll(0),
            Some(LimitHit::Timeout(Duration::from_millis(20)))
        );
        drop(w);
        // Disarmed: the grace-period exit never comes (this test process survives it).
        std::thread::sleep(GRACE + Duration::from_millis(300));
    }
}
