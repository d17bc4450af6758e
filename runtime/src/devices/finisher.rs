//! SiFive's test finisher ("sifive,test0"), the device QEMU's `virt` machine uses for
//! poweroff and reboot: a 32-bit write of 0x5555 powers off with success, 0x3333 | code << 16
//! powers off with failure `code`, 0x7777 resets (QEMU hw/misc/sifive_test.c behaviour; no
//! published spec).

/// What the guest asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Power off; 0 is success.
    Poweroff(u32),
    Reset,
}

#[derive(Debug, Default)]
pub struct TestFinisher {
    pub finish: Option<Finish>,
}

impl TestFinisher {
    pub fn write(&mut self, off: u64, v: u32) {
        if off != 0 {
            return;
        }
        let f = match v & 0xffff {
            0x5555 => Finish::Poweroff(0),
            0x3333 => Finish::Poweroff(v >> 16),
            0x7777 => Finish::Reset,
            _ => return,
        };
        self.finish.get_or_insert(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let mut f = TestFinisher::default();
        f.write(0, 0x1234);
        assert_eq!(f.finish, None);
        f.write(0, 0x0003_3333);
        assert_eq!(f.finish, Some(Finish::Poweroff(3)));
        let mut f = TestFinisher::default();
        f.write(0, 0x5555);
        assert_eq!(f.finish, Some(Finish::Poweroff(0)));
        let mut f = TestFinisher::default();
        f.write(0, 0x7777);
        assert_eq!(f.finish, Some(Finish::Reset));
    }
}
