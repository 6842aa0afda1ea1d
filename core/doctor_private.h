/* doctor_private.h - between the doctor's report (doctor.c) and its rules (doctor_rules.c:
 * driver, kernel and paths; doctor_rules_fw.c: the Python frameworks). Not for other modules. */
#pragma once

#include "core/doctor.h"

G_BEGIN_DECLS

/* A rule: looks at @facts, adds findings to @report. Pure. */
typedef void (*CupDoctorRule)(const CupDoctorFacts *facts, CupDoctorReport *report);

/* doctor_rules.c */
void cup_doctor_rule_no_driver(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_nouveau(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_secure_boot(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_wsl_driver(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_driver_toolkit(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_smi_version(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_path_order(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_stubs(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_journal(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_cudnn_major(const CupDoctorFacts *f, CupDoctorReport *r);

/* doctor_rules_fw.c */
void cup_doctor_rule_probe_failed(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_torch_cpu(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_torch_driver(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_torch_arch(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_cudnn_shadow(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_cudnn_wheel(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_tf_windows(const CupDoctorFacts *f, CupDoctorReport *r);
void cup_doctor_rule_no_gpu_seen(const CupDoctorFacts *f, CupDoctorReport *r);

/* Helpers (doctor.c). */

/**
 * cup_doctor_add: a new finding @id of @severity in @report, its title from @title (printf
 * format, already translated), its source @source (static). Returns it (owned by @report).
 */
CupDoctorFinding *cup_doctor_add(CupDoctorReport *r, const char *id, CupDoctorSeverity severity,
                                 const char *source, const char *title, ...) G_GNUC_PRINTF(5, 6);
/** cup_doctor_evidence: append one evidence line (printf format, already translated). */
void cup_doctor_evidence(CupDoctorFinding *f, const char *format, ...) G_GNUC_PRINTF(2, 3);
/** cup_doctor_fact: set facts[@key] to @value (NULL: null). */
void cup_doctor_fact(CupDoctorFinding *f, const char *key, const char *value);

/** cup_doctor_has_gpu: an NVIDIA GPU was found. */
gboolean cup_doctor_has_gpu(const CupDoctorFacts *f);
/** cup_doctor_windows_driver: the driver is a Windows one (native Windows, or WSL). */
gboolean cup_doctor_windows_driver(const CupDoctorFacts *f);
/** cup_doctor_native_windows: Windows itself (not WSL). */
gboolean cup_doctor_native_windows(const CupDoctorFacts *f);
/** cup_doctor_major: the first component of @version, or -1. */
int cup_doctor_major(const char *version);
/** cup_doctor_cmp: compare two versions; 0 when either does not parse (treat as "not known"). */
int cup_doctor_cmp(const char *a, const char *b);
/** cup_doctor_cmp_mm: as cup_doctor_cmp on major.minor only. */
int cup_doctor_cmp_mm(const char *a, const char *b);
/** cup_doctor_min_driver: the full-feature minimum driver of CUDA @cuda for this OS, or NULL. */
const char *cup_doctor_min_driver(const CupDoctorFacts *f, const char *cuda);
/** cup_doctor_floor_driver: the minor-version-compatibility floor of @cuda's major, or NULL. */
const char *cup_doctor_floor_driver(const CupDoctorFacts *f, const char *cuda);

/* How well the installed driver runs code built for a CUDA version. */
typedef enum {
  CUP_DOCTOR_FIT_UNKNOWN,      /* no driver, or nothing to compare */
  CUP_DOCTOR_FIT_OK,           /* the driver supports it fully */
  CUP_DOCTOR_FIT_MINOR_COMPAT, /* same major, above the floor: runs with limited features */
  CUP_DOCTOR_FIT_NO,           /* it cannot run */
} CupDoctorFit;

/**
 * cup_doctor_driver_fit: how the driver fits code built for CUDA @cuda. Source: CUDA
 * Compatibility guide, "Minor Version Compatibility"
 * (https://docs.nvidia.com/deploy/cuda-compatibility/).
 */
CupDoctorFit cup_doctor_driver_fit(const CupDoctorFacts *f, const char *cuda);

G_END_DECLS
