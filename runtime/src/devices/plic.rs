//! The platform-level interrupt controller as a pure state machine (RISC-V PLIC Specification
//! 1.0.0; the layout of SiFive's PLIC as QEMU's `virt` machine maps it: priorities at 0,
//! pending bits at 0x1000, per-context enables at 0x2000 + 0x80 * ctx, threshold and
//! claim/complete at 0x20_0000 + 0x1000 * ctx). Context 0 is hart 0's M-mode external
//! interrupt, context 1 its S-mode one. Sources are level-triggered.

/// Number of interrupt sources including the reserved source 0 (QEMU virt: 95 usable).
pub const SOURCES: usize = 96;
/// Contexts: hart 0 M-mode and S-mode.
pub const CONTEXTS: usize = 2;
/// Priority bits implemented (levels 0..=7).
const PRIORITY_MASK: u32 = 7;
/// Size of the register window.
pub const SIZE: u64 = 0x60_0000;

#[derive(Debug, Default)]
pub struct Plic {
    priority: Vec<u32>,
    level: u128,
    pending: u128,
    /// Claimed and not yet completed (the gateway holds further requests).
    claimed: u128,
    enable: [u128; CONTEXTS],
    threshold: [u32; CONTEXTS],
}

const VALID: u128 = ((1u128 << SOURCES) - 1) & !1;

impl Plic {
    pub fn new() -> Self {
        Self {
            priority: vec![0; SOURCES],
            ..Default::default()
        }
    }

    /// Drives source `src`'s interrupt line.
    pub fn set_level(&mut self, src: usize, high: bool) {
        if src == 0 || src >= SOURCES {
            return;
        }
        let bit = 1u128 << src;
        if high {
            self.level |= bit;
            if self.claimed & bit == 0 {
                self.pending |= bit;
            }
        } else {
            self.level &= !bit;
            self.pending &= !bit;
        }
    }

    /// The highest-priority pending source enabled for `ctx` above its threshold (lowest id
    /// wins a tie).
    fn best(&self, ctx: usize) -> Option<usize> {
        let cand = self.pending & self.enable[ctx] & VALID;
        let mut best: Option<(u32, usize)> = None;
        let mut bits = cand;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let p = self.priority.get(i).copied().unwrap_or(0);
            if p > self.threshold[ctx] && best.is_none_or(|(bp, _)| p > bp) {
                best = Some((p, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Whether context `ctx` signals an external interrupt to its hart.
    pub fn eip(&self, ctx: usize) -> bool {
        ctx < CONTEXTS && self.best(ctx).is_some()
    }

    fn claim(&mut self, ctx: usize) -> u32 {
        match self.best(ctx) {
            Some(i) => {
                let bit = 1u128 << i;
                self.pending &= !bit;
                self.claimed |= bit;
                i as u32
            }
            None => 0,
        }
    }

    fn complete(&mut self, ctx: usize, id: u32) {
        let i = id as usize;
        if i == 0 || i >= SOURCES || self.enable[ctx] >> i & 1 == 0 {
            return;
        }
        let bit = 1u128 << i;
        self.claimed &= !bit;
        if self.level & bit != 0 {
            self.pending |= bit;
        }
    }

    /// A 32-bit read at `off`.
    pub fn read(&mut self, off: u64) -> u32 {
        match off {
            0..=0xfff => self.priority.get((off / 4) as usize).copied().unwrap_or(0),
            0x1000..=0x107f => word(self.pending, off - 0x1000),
            0x2000..=0x1f_ffff => {
                let ctx = ((off - 0x2000) / 0x80) as usize;
                match self.enable.get(ctx) {
                    Some(&e) => word(e, (off - 0x2000) % 0x80),
                    None => 0,
                }
            }
            _ => {
                let rel = off.wrapping_sub(0x20_0000);
                let ctx = (rel / 0x1000) as usize;
                if ctx >= CONTEXTS {
                    return 0;
                }
                match rel % 0x1000 {
                    0 => self.threshold[ctx],
                    4 => self.claim(ctx),
                    _ => 0,
                }
            }
        }
    }

    /// A 32-bit write of `v` at `off`.
    pub fn write(&mut self, off: u64, v: u32) {
        match off {
            0..=0xfff => {
                let i = (off / 4) as usize;
                if i > 0 {
                    if let Some(p) = self.priority.get_mut(i) {
                        *p = v & PRIORITY_MASK;
                    }
                }
            }
            0x1000..=0x1fff => {} // pending bits are read-only
            0x2000..=0x1f_ffff => {
                let ctx = ((off - 0x2000) / 0x80) as usize;
                let w = (off - 0x2000) % 0x80 / 4;
                if let Some(e) = self.enable.get_mut(ctx) {
                    if w < 4 {
                        let sh = w * 32;
                        *e = ((*e & !(0xffff_ffffu128 << sh)) | (u128::from(v) << sh)) & VALID;
                    }
                }
            }
            _ => {
                let rel = off.wrapping_sub(0x20_0000);
                let ctx = (rel / 0x1000) as usize;
                if ctx >= CONTEXTS {
                    return;
                }
                match rel % 0x1000 {
                    0 => self.threshold[ctx] = v & PRIORITY_MASK,
                    4 => self.complete(ctx, v),
                    _ => {}
                }
            }
        }
    }
}

fn word(bits: u128, off: u64) -> u32 {
    let w = off / 4;
    if w >= 4 {
        return 0;
    }
    (bits >> (w * 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const S_CLAIM: u64 = 0x20_1004;
    const S_THRESHOLD: u64 = 0x20_1000;
    const S_ENABLE: u64 = 0x2080;

    #[test]
    fn claim_complete_threshold_and_priority() {
        let mut p = Plic::new();
        p.set_level(10, true);
        assert_eq!(p.read(0x1000), 1 << 10, "pending");
        assert!(!p.eip(1), "priority 0 never interrupts");
        p.write(4 * 10, 1);
        assert!(!p.eip(1), "not enabled");
        p.write(S_ENABLE, 1 << 10);
        assert!(p.eip(1));
        assert!(!p.eip(0), "M context not enabled");
        p.write(S_THRESHOLD, 1);
        assert!(!p.eip(1), "priority must exceed the threshold");
        p.write(S_THRESHOLD, 0);
        // A higher-priority source wins; ties go to the lower id.
        p.set_level(5, true);
        p.write(4 * 5, 1);
        p.write(S_ENABLE, (1 << 10) | (1 << 5));
        assert_eq!(p.read(S_CLAIM), 5);
        p.write(4 * 5, 3);
        assert_eq!(p.read(S_CLAIM), 10);
        assert_eq!(p.read(S_CLAIM), 0, "both claimed");
        assert!(!p.eip(1));
        // Completing a source whose line is still high makes it pending again.
        p.write(S_CLAIM, 10);
        assert!(p.eip(1));
        p.set_level(10, false);
        assert!(
            !p.eip(1),
            "level-triggered: dropping the line withdraws the request"
        );
        p.write(S_CLAIM, 5);
        assert!(p.eip(1), "source 5 still high");
    }

    #[test]
    fn out_of_range_accesses_are_harmless() {
        let mut p = Plic::new();
        p.set_level(0, true);
        p.set_level(500, true);
        p.write(0, 7);
        assert_eq!(p.read(0), 0, "source 0 has no priority");
        p.write(0x20_5004, 3);
        assert_eq!(p.read(0x20_5004), 0);
        p.write(S_CLAIM, 200);
        assert_eq!(p.read(0x1000), 0);
    }
}
