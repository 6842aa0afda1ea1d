/* osinfo.h - facts about the operating system that decide what cudaup can install: the
 * distribution and architecture, WSL, Secure Boot, the loaded GPU kernel modules and the
 * Python interpreters on PATH. Every file is read under a settable root (`--root DIR`) and the
 * environment is passed in explicitly, so tests run against fixture trees.
 */
#pragma once

#include "core/system.h"

G_BEGIN_DECLS

/* The UEFI global variable that says whether Secure Boot is on (UEFI spec, section 3.3,
 * EFI_GLOBAL_VARIABLE GUID), as efivarfs names it. */
#define CUP_SECURE_BOOT_EFIVAR                                                                     \
  "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/**
 * cup_osinfo_detect: fill in the OS facts of @sys from the machine under @root (NULL or "/"
 * for the real system), reading the environment @envp (as from g_get_environ(); NULL is an
 * empty one). Facts are written over what @sys held; strings are owned by @sys.
 *
 * - sys->os: family "linux"; distribution, version and pretty_name from the ID, VERSION_ID
 *   and PRETTY_NAME of ROOT/etc/os-release, else ROOT/usr/lib/os-release (os-release(5):
 *   shell-style assignments, values possibly quoted and backslash-escaped; ID defaults to
 *   "linux" and PRETTY_NAME to "Linux" when the file lacks them); arch from uname(2) (the
 *   running kernel, never root-relative); wsl from ROOT/proc/sys/kernel/osrelease, else
 *   ROOT/proc/version, containing "microsoft" or "WSL" (any case): WSL1 kernels report
 *   "4.4.0-19041-Microsoft", WSL2 ones "5.15.153.1-microsoft-standard-WSL2".
 * - sys->secure_boot: CUP_NO without ROOT/sys/firmware/efi (legacy BIOS boot has no Secure
 *   Boot) or when EFI variables are readable but SecureBoot is not among them; otherwise the
 *   data byte of CUP_SECURE_BOOT_EFIVAR (efivarfs: 4 attribute bytes, then the value; 1 is
 *   enabled). CUP_UNKNOWN with a warning when /sys/firmware or the variable cannot be read.
 * - sys->nouveau_loaded, sys->nvidia_module_loaded: from the first field of the lines of
 *   ROOT/proc/modules ("nouveau 2306048 0 - Live 0x0000000000000000"); when that cannot be
 *   read (a warning says so), from the presence of ROOT/sys/module/NAME, which exists for a
 *   loaded module; CUP_UNKNOWN when neither can be read.
 * - sys->pythons: the interpreters named python3, python or python3.N in the PATH of @envp
 *   (each entry joined onto @root), in PATH order, one per real file (links resolved inside
 *   @root), at most 16; each is run as `PYTHON --version` (in parallel, 3 s timeout each) and
 *   the "Python X.Y.Z" it prints gives the version. One that runs but prints no version (a
 *   pyenv shim of a version not selected) is left out; one that cannot be run or times out is
 *   kept with the version in its name (python3.10 -> "3.10") or NULL, and a warning.
 *
 * Every unreadable or garbled file appends a warning naming it to sys->warnings, and
 * detection goes on.
 */
void cup_osinfo_detect(const char *root, const char *const *envp, CupSystem *sys);

/**
 * cup_kernel_driver_version: the version of the loaded NVIDIA kernel module under @root, from
 * ROOT/proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module
 * 550.54.14  Thu Feb 22 01:44:30 UTC 2024", or with the open modules "NVRM version: NVIDIA
 * UNIX Open Kernel Module for x86_64  555.58.02  Release Build  (...)  <date>"), else
 * ROOT/sys/module/nvidia/version ("550.54.14"). The version is returned as printed (leading
 * zeros kept: "535.104.05"). Returns a newly allocated string, or NULL when no module is
 * loaded or neither file holds a version.
 */
char *cup_kernel_driver_version(const char *root);

G_END_DECLS
