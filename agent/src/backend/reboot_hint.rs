//! The per-patch reboot hint: whether installing an update of a package is expected to need a reboot
//! (kernel, C library, init system, D-Bus, microcode, firmware), by each package family's naming.

/// Packages whose update asks for a reboot on Debian/Ubuntu (what `update-notifier`'s and
/// `needrestart`'s rules single out), besides the kernel images.
const APT: &[&str] = &[
    "libc6",
    "systemd",
    "dbus",
    "dbus-daemon",
    "dbus-broker",
    "intel-microcode",
    "amd64-microcode",
    "linux-firmware",
    "firmware-linux",
    "firmware-linux-free",
    "firmware-linux-nonfree",
];

/// `dnf needs-restarting -r`'s own list (RHEL, Fedora).
const RPM: &[&str] = &[
    "kernel",
    "kernel-core",
    "kernel-rt",
    "kernel-rt-core",
    "glibc",
    "linux-firmware",
    "systemd",
    "dbus",
    "dbus-broker",
    "dbus-daemon",
    "microcode_ctl",
];

/// Arch Linux kernels, C library, init and microcode.
const PACMAN: &[&str] = &[
    "linux",
    "linux-lts",
    "linux-zen",
    "linux-hardened",
    "linux-rt",
    "linux-rt-lts",
    "linux-firmware",
    "glibc",
    "systemd",
    "dbus",
    "dbus-broker",
    "intel-ucode",
    "amd-ucode",
];

/// Alpine kernels, C library and microcode (OpenRC needs no reboot for its own update).
const APK: &[&str] = &[
    "linux-lts",
    "linux-virt",
    "linux-edge",
    "linux-rpi",
    "linux-firmware",
    "musl",
    "intel-ucode",
    "amd-ucode",
];

/// The package family whose naming rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Debian, Ubuntu (apt/dpkg).
    Apt,
    /// RHEL, Fedora (dnf, yum).
    Rpm,
    /// Arch Linux.
    Pacman,
    /// Alpine.
    Apk,
}

/// Whether updating `name` is expected to need a reboot on `family`.
pub fn expects_reboot(family: Family, name: &str) -> bool {
    match family {
        Family::Apt => {
            APT.contains(&name)
                || name.starts_with("linux-image-")
                || name.starts_with("linux-modules-")
                || name.starts_with("linux-signed-image-")
        }
        Family::Rpm => {
            RPM.contains(&name) || name.starts_with("kernel-core-") || name.starts_with("kernel-modules")
        }
        Family::Pacman => PACMAN.contains(&name),
        Family::Apk => APK.contains(&name) || name.starts_with("linux-firmware-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_libc_init_and_microcode_need_a_reboot_per_family() {
        for n in [
            "linux-image-6.1.0-18-amd64",
            "libc6",
            "systemd",
            "intel-microcode",
        ] {
            assert!(expects_reboot(Family::Apt, n), "{n}");
        }
        for n in [
            "linux-headers-6.1.0-18-amd64",
            "libc6-dev",
            "curl",
            "pmtest-hello",
        ] {
            assert!(!expects_reboot(Family::Apt, n), "{n}");
        }
        assert!(expects_reboot(Family::Rpm, "kernel-core"));
        assert!(expects_reboot(Family::Rpm, "glibc"));
        assert!(!expects_reboot(Family::Rpm, "glibc-langpack-en"));
        assert!(expects_reboot(Family::Pacman, "linux"));
        assert!(!expects_reboot(Family::Pacman, "linux-api-headers"));
        assert!(expects_reboot(Family::Apk, "musl"));
        assert!(!expects_reboot(Family::Apk, "linux-pam"));
    }
}
