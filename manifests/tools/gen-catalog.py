#!/usr/bin/env python3
"""gen-catalog.py - build manifests/{cuda,cudnn,pytorch,tensorflow}.json from the team's reference data.

Usage: manifests/tools/gen-catalog.py [DATA_DIR] [-o OUTPUT_DIR]

DATA_DIR (the team's reference data directory, given explicitly) must hold
  compat/cuda-driver-requirements.json     CUDA release -> minimum driver; minor-version floors
  compat/cuda-sdk-compute-capability.json  CUDA release range -> compute capability range
  compat/gpu-compute-capability.json       CCs per architecture (to normalise "5.x")
  compat/cudnn-cuda-support.json           cuDNN support matrices and Spack builds
  compat/pytorch-cuda.json                 PyTorch release compatibility matrix
  compat/tensorflow-tested-configs.json    TensorFlow tested GPU build configurations
  redist/cudnn/redistrib_*.json            NVIDIA cuDNN redistrib manifests (cuda_variant)
The outputs (default: the manifests/ directory above this tools/ directory) are rewritten in
full; running the script twice on the same inputs gives the same bytes.

Every normalisation rule is documented in manifests/README.md; the script fails (exit status
1, a message naming the row) rather than guess when a row does not fit a rule.
"""

import argparse
import glob
import json
import os
import re
import sys

VERSION = re.compile(r"^\d+(\.\d+)*$")
CC = re.compile(r"^\d{1,2}\.\d{1,2}$")

NVIDIA_FACTS = "facts from NVIDIA documentation (no licence asserted over facts)"
WIKIPEDIA = "facts transcribed from Wikipedia (text CC BY-SA 4.0)"


def fail(msg):
    sys.exit(f"gen-catalog.py: {msg}")


def load(data_dir, rel):
    with open(os.path.join(data_dir, rel), encoding="utf-8") as f:
        return json.load(f)


def vkey(text):
    return tuple(int(p) for p in text.split("."))


def major_minor(text, what):
    """"10.1.105" / "11.2 update 1" / "10.1 Update 2" / "10.0.x" -> "10.1" (None for prose)."""
    m = re.match(r"^(\d+)\.(\d+)(\.\d+|\.x)?( [Uu]pdate \d+)?$", text.strip())
    if not m:
        return None
    return f"{m[1]}.{m[2]}"


def check_version(text, what):
    if not isinstance(text, str) or not VERSION.match(text):
        fail(f"{what}: {text!r} is not a version")
    return text


# ---------------------------------------------------------------- cuda.json

def cc_normaliser(data_dir):
    """"5.x" -> the highest CC of major 5 the architecture table lists ("5.3")."""
    doc = load(data_dir, "compat/gpu-compute-capability.json")
    ccs = sorted({a["compute_capability"] for a in doc["architectures"]}, key=vkey)

    def norm(raw, what):
        if CC.match(raw):
            return raw, None
        m = re.match(r"^(\d+)\.x$", raw)
        if m:
            same = [c for c in ccs if c.split(".")[0] == m[1]]
            if not same:
                fail(f"{what}: no CC of major {m[1]} to normalise {raw!r}")
            return same[-1], f"{what.split('.')[-1]} printed as \"{raw}\" (all {m[1]}.x)"
        m = re.match(r"^(\d+\.\d+)\+x$", raw)
        if m:
            return m[1], f"{what.split('.')[-1]} printed as \"{raw}\" ({m[1]} plus later features)"
        fail(f"{what}: cannot normalise CC {raw!r}")

    return norm


# What cudaup installs as "the CUDA Toolkit" from NVIDIA's redistrib archives: the compiler,
# runtime, headers and math libraries a framework or an extension build needs -- the contents
# of NVIDIA's cuda-compiler, cuda-libraries(-dev) and cuda-cudart(-dev) meta packages -- and
# not the GUI tools, samples, documentation or the driver. A release that lacks a component
# (cuda_crt and libnvvm appear in 13.0) simply has fewer archives.
TOOLKIT_COMPONENTS_SOURCE = ("https://docs.nvidia.com/cuda/cuda-installation-guide-linux/"
                             "index.html#meta-packages")
TOOLKIT_COMPONENTS = [
    "cuda_cccl", "cuda_crt", "cuda_cudart", "cuda_culibos", "cuda_cuobjdump", "cuda_cupti",
    "cuda_cuxxfilt", "cuda_nvcc", "cuda_nvdisasm", "cuda_nvml_dev", "cuda_nvprune",
    "cuda_nvrtc", "cuda_nvtx", "cuda_profiler_api", "libcublas", "libcufft", "libcurand",
    "libcusolver", "libcusparse", "libnvjitlink", "libnvvm",
]


def build_cuda(data_dir):
    drv = load(data_dir, "compat/cuda-driver-requirements.json")
    sdk = load(data_dir, "compat/cuda-sdk-compute-capability.json")
    releases = []
    for r in drv["toolkit_driver"]:
        releases.append({
            "version": check_version(r["cuda_version"], "toolkit_driver"),
            "label": r["label"],
            "driver_linux": r["toolkit_driver_linux_x86_64"],
            "driver_windows": r["toolkit_driver_windows_x86_64"],
            "source": r["source"],
        })
    releases.sort(key=lambda r: vkey(r["version"]), reverse=True)

    floors = []
    for r in drv["minor_version_compatibility"]:
        src = r["source"] if isinstance(r["source"], str) else "; ".join(r["source"])
        floors.append({
            "cuda_major": r["cuda_major"],
            "driver_linux": r.get("min_driver_linux_exact"),
            "driver_windows": r.get("min_driver_windows_exact"),
            "source": src,
        })
    floors.sort(key=lambda r: r["cuda_major"], reverse=True)

    norm = cc_normaliser(data_dir)
    changes = {c["cuda"]: c for c in sdk["changes"]}
    ranges = []
    for i, r in enumerate(sdk["ranges"]):
        what = f"ranges[{i}]"
        row = {"cuda_from": major_minor(r["cuda_from"], what),
               "cuda_to": major_minor(r["cuda_to"], what)}
        notes = []
        for key in ("min_cc", "max_cc"):
            row[key], note = norm(r[key], f"{what}.{key}")
            if note:
                notes.append(note)
        if None in (row["cuda_from"], row["cuda_to"]):
            fail(f"{what}: CUDA range {r['cuda_from']!r}-{r['cuda_to']!r}")
        change = changes.pop(row["cuda_from"], None)
        row["change"] = change["change"] if change else None
        row["source"] = r["source"]
        if notes:
            row["note"] = "; ".join(notes)
        ranges.append(row)
    if changes:
        fail(f"changes without a range that starts at their release: {sorted(changes)}")
    ranges.sort(key=lambda r: vkey(r["cuda_from"]), reverse=True)

    return {
        "schema": "cudaup-cuda/1",
        "description": "CUDA Toolkit releases with their minimum drivers, the per-major driver "
                       "floors of minor-version compatibility, and the compute capabilities each "
                       "range of releases supports. Generated by manifests/tools/gen-catalog.py; "
                       "do not edit by hand.",
        "sources": [
            {"what": "releases, minimum drivers (Table 3)",
             "source": "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html",
             "licence": NVIDIA_FACTS},
            {"what": "minor-version compatibility floors",
             "source": "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html; "
                       "https://docs.nvidia.com/deeplearning/cudnn/latest/support-matrix/index.html",
             "licence": NVIDIA_FACTS},
            {"what": "compute capability per CUDA release",
             "source": "https://en.wikipedia.org/wiki/CUDA#GPUs_supported",
             "licence": WIKIPEDIA},
        ],
        "releases": releases,
        "minor_version_compatibility": floors,
        "compute_capability": ranges,
        "toolkit_components_source": TOOLKIT_COMPONENTS_SOURCE,
        "toolkit_components": TOOLKIT_COMPONENTS,
    }


# ---------------------------------------------------------------- cudnn.json

# cuDNN 8.1 is in no support-matrix row of compat/cudnn-cuda-support.json, only in the Spack
# builds (CUDA 11.2 and 10.2 archives). TensorFlow 2.5-2.11 need it. NVIDIA's archived matrix
# (cuDNN 8.2.4 edition, section "cuDNN 8.1.0 - 8.1.1") lists CUDA 11.0-11.2 and 10.2; the
# stored copy of that page we could read names the section but is cut before its rows, so the
# rows carry a note saying that 11.0 and 11.1 are not confirmed by a stored source.
SUPPLEMENT = [
    {"cudnn": "8.1.0-8.1.1", "cuda": ["11.2", "11.1", "11.0", "10.2"], "min_cc": "3.0",
     "source": "https://docs.nvidia.com/deeplearning/cudnn/archives/cudnn-824/pdf/cuDNN-Support-Matrix.pdf "
               "(section 1.4 cuDNN 8.1.0 - 8.1.1)",
     "note": "CUDA 11.2 and 10.2 confirmed by the Spack builds (8.1.0.77, 8.1.1.33); 11.0 and "
             "11.1 as NVIDIA's 8.1 matrix lists them, not confirmed by a stored copy"},
]


def expand_release(text):
    """"7.6.4-7.6.5" -> ["7.6.4", "7.6.5"]; "8.0.0-8.0.1 (Preview)" -> both ends; "9.1.1"."""
    text = re.sub(r"\s*\(.*\)$", "", text)
    ends = text.split("-")
    for e in ends:
        check_version(e, f"cuDNN release {text!r}")
    return ends


def min_cc_of(entry):
    """Lowest CC a support-matrix row names ("cc" list, "cc_by_cuda" "SM 3.5 and later",
    or prose "Kepler (3.x) .. Turing (7.5)"); None when the row names none."""
    found = []
    cc = entry.get("cc")
    if isinstance(cc, list):
        found += cc
    elif isinstance(cc, str):
        found += [f"{m[1]}.{'0' if m[2] == 'x' else m[2]}" for m in re.finditer(r"\((\d+)\.(\d+|x)\)", cc)]
    for text in entry.get("cc_by_cuda", {}).values():
        m = re.match(r"^SM (\d+\.\d+) and later$", text)
        if not m:
            fail(f"cuDNN {entry['cudnn']}: cc_by_cuda {text!r}")
        found.append(m[1])
    return min(found, key=vkey) if found else None


def redist_variants(data_dir):
    """cuDNN release (x.y.z) -> ["cuda12", ...] from the redistrib manifests' cuda_variant."""
    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "redist/cudnn/redistrib_*.json"))):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        release = ".".join(doc["release_label"].split(".")[:3])
        variants = doc["cudnn"].get("cuda_variant")
        out[release] = [f"cuda{v}" for v in variants] if variants else None
    return out


def build_cudnn(data_dir):
    doc = load(data_dir, "compat/cudnn-cuda-support.json")
    rows = {}
    for entry in doc["support_matrix"] + SUPPLEMENT:
        cuda = [c for c in (major_minor(x, "cuda") for x in entry.get("cuda", [])) if c]
        for version in expand_release(entry["cudnn"]):
            row = {"version": version, "cuda": sorted(set(cuda), key=vkey, reverse=True),
                   "cuda_variants": None, "min_cc": entry.get("min_cc") or min_cc_of(entry),
                   "source": entry["source"]}
            notes = [entry[k] for k in ("note", "status") if entry.get(k)]
            if notes:
                row["note"] = "; ".join(notes)
            rows[version] = row

    builds = {}
    for b in doc["spack_builds"]["builds"]:
        if not re.match(r"^\d+(\.\d+)?$", b["built_for_cuda"]):
            fail(f"spack build {b['cudnn_version']}: CUDA {b['built_for_cuda']!r}")
        release = ".".join((b["cudnn_version"].split(".") + ["0", "0"])[:3])
        builds.setdefault(release, set()).add(b["built_for_cuda"])
    spack = doc["spack_builds"]["source"]
    spack_source = f"{spack['repo']} {spack['path']} (commit {spack['commit']})"

    redist = redist_variants(data_dir)
    for release in sorted(set(builds) | set(redist), key=vkey):
        row = rows.setdefault(release, {"version": release, "cuda": [], "cuda_variants": None,
                                        "min_cc": None, "source": None})
        srcs = [row["source"]] if row["source"] else []
        if release in builds:
            srcs.append(f"{spack_source} (builds for CUDA {', '.join(sorted(builds[release], key=vkey))})")
        if release in redist:
            srcs.append(f"https://developer.download.nvidia.com/compute/cudnn/redist/redistrib_"
                        f"{'8.9.7.29' if release == '8.9.7' else release}.json")
        row["source"] = "; ".join(dict.fromkeys(srcs))

    # cuda_variants: cuDNN 9 has one archive per CUDA major below a cuda_variant key.
    for release, row in rows.items():
        if vkey(release)[0] < 9:
            continue
        from_spack = sorted({f"cuda{c.split('.')[0]}" for c in builds.get(release, ())},
                            key=lambda v: int(v[4:]))
        from_redist = redist.get(release)
        if from_redist and from_spack and from_spack != from_redist:
            fail(f"cuDNN {release}: redist variants {from_redist} != spack builds {from_spack}")
        from_matrix = sorted({f"cuda{c.split('.')[0]}" for c in row["cuda"]}, key=lambda v: int(v[4:]))
        row["cuda_variants"] = from_redist or from_spack or from_matrix or None

    infer_cuda(rows, builds)
    out = sorted(rows.values(), key=lambda r: vkey(r["version"]), reverse=True)
    for r in out:
        if not r["cuda"]:
            fail(f"cuDNN {r['version']}: no CUDA version known")
    return {
        "schema": "cudaup-cudnn/1",
        "description": "cuDNN releases: the CUDA versions each supports, the cuda_variant keys of "
                       "its redistrib manifest (cuDNN 9), its lowest compute capability. "
                       "Generated by manifests/tools/gen-catalog.py; do not edit by hand.",
        "sources": [
            {"what": "CUDA versions and compute capabilities per cuDNN release",
             "source": "https://docs.nvidia.com/deeplearning/cudnn/ (support matrices, archived "
                       "editions named per row)",
             "licence": NVIDIA_FACTS},
            {"what": "which cuDNN archives exist for which CUDA",
             "source": spack_source, "licence": "Apache-2.0 OR MIT"},
            {"what": "cuda_variant of cuDNN 9 archives",
             "source": "https://developer.download.nvidia.com/compute/cudnn/redist/",
             "licence": NVIDIA_FACTS},
        ],
        "releases": out,
    }


def infer_cuda(rows, builds):
    """Rows no support matrix describes get their CUDA list from the builds: a build for a
    CUDA minor ("11.2") gives that minor; a build for a CUDA major ("12") gives the minors of
    that major listed by the nearest support-matrix row of the same cuDNN major (older first,
    else newer). The row says so in its note."""
    matrix = sorted((r for r in rows.values() if r["cuda"]), key=lambda r: vkey(r["version"]))
    for release, row in rows.items():
        if row["cuda"]:
            continue
        majors = {c.split(".")[0] for c in builds.get(release, ())}
        majors |= {v[4:] for v in row["cuda_variants"] or ()}
        cuda, used = {c for c in builds.get(release, ()) if "." in c}, set()
        for major in sorted(majors, key=int):
            if any(c.split(".")[0] == major for c in cuda):
                continue
            donor = nearest(matrix, release, major)
            if donor is None:
                fail(f"cuDNN {release}: no support-matrix row lists CUDA {major}.x")
            cuda |= {c for c in donor["cuda"] if c.split(".")[0] == major}
            used.add(f"CUDA {major}.x minors as listed for cuDNN {donor['version']}")
        row["cuda"] = sorted(cuda, key=vkey, reverse=True)
        note = "not in a support matrix: CUDA list inferred from the builds"
        if used:
            note += " (" + "; ".join(sorted(used)) + ")"
        row["note"] = "; ".join(filter(None, [row.get("note"), note]))


def nearest(matrix, release, major):
    same = [r for r in matrix if r["version"].split(".")[0] == release.split(".")[0]
            and any(c.split(".")[0] == major for c in r["cuda"])]
    older = [r for r in same if vkey(r["version"]) < vkey(release)]
    newer = [r for r in same if vkey(r["version"]) > vkey(release)]
    return older[-1] if older else (newer[0] if newer else None)


# ---------------------------------------------------------------- pytorch.json

def parse_python(raw, what):
    """">=3.10, <=(3.15, 3.15t experimental)" -> ("3.10", "3.15", "3.15t");
    ">=3.9, <=3.12, (3.13 experimental)" -> ("3.9", "3.12", "3.13")."""
    m = re.match(r"^>=(\d+\.\d+), <=\(?(\d+\.\d+)(.*)$", raw)
    if not m:
        fail(f"{what}: Python {raw!r}")
    exp = re.search(r"(\d+\.\d+t?) experimental", m[3])
    return m[1], m[2], exp[1] if exp else None


def parse_cuda_raw(raw, what):
    """"CUDA 11.8, CUDA 12.4 (CUDNN 9.1.0.70)" -> [("11.8", None), ("12.4", "9.1.0.70")].
    A cuDNN in parentheses binds to its CUDA; a bare ", CUDNN X" applies to every CUDA before
    it in the same string that has none."""
    if raw.strip() in ("--", "None", ""):
        return []
    out = []
    for part in re.split(r",\s*(?![^()]*\))", raw):
        part = part.strip()
        m = re.match(r"^CUDA (\d+\.\d+)((?: \([^)]*\))*)$", part)
        if m:
            cudnn = re.search(r"\(CUDNN ([\d.]+)\)", m[2])
            out.append([m[1], cudnn[1] if cudnn else None])
            continue
        m = re.match(r"^CUDNN ([\d.]+)$", part)
        if m and out:
            for row in out:
                row[1] = row[1] or m[1]
            continue
        fail(f"{what}: cannot parse {part!r} of {raw!r}")
    return [tuple(r) for r in out]


def parse_archs(text):
    """"Maxwell(5.0), Ampere(8.0, 8.6), Blackwell(10.0, 12.0+PTX)" -> ["5.0", ..., "12.0"]."""
    return sorted({m[1] for m in re.finditer(r"(\d+\.\d+)(?:\+PTX)?", text)}, key=vkey)


def build_pytorch(data_dir):
    doc = load(data_dir, "compat/pytorch-cuda.json")
    prev = {}
    for p in doc["previous_versions"]:
        version = p["pytorch"]
        if not VERSION.match(version):
            continue  # "1.8.2 (LTS)": another index layout, and older than the matrix
        prev.setdefault(".".join(version.split(".")[:2]), []).append(p)
    archs = {}
    arch_doc = doc["cuda_arch_support"]
    lines = re.findall(r"\d+\.\d+", arch_doc["applies_to"])
    for row in arch_doc["rows"]:
        tag = "cu" + "".join(row["cuda"].split(".")[:2])
        archs[tag] = parse_archs(row["archs_linux_x86_and_windows"])

    releases = []
    for r in doc["release_matrix"]:
        line, what = r["pytorch"], f"pytorch {r['pytorch']}"
        py_min, py_max, py_exp = parse_python(r["python"], what)
        variants = {}
        for key, experimental in (("stable_cuda_raw", False), ("experimental_cuda_raw", True)):
            for cuda, cudnn in parse_cuda_raw(r[key], what):
                tag = "cu" + cuda.replace(".", "")
                variants[tag] = {"tag": tag, "cuda": cuda, "cudnn": cudnn,
                                 "index_url": f"https://download.pytorch.org/whl/{tag}",
                                 "archs": archs.get(tag) if line in lines else None,
                                 "experimental": experimental}
        if sorted(variants) != sorted(r["cuda_wheel_variants_derived"]):
            fail(f"{what}: parsed {sorted(variants)} != derived {r['cuda_wheel_variants_derived']}")
        patches, srcs = None, [r["source"]]
        if line in prev:
            patches = sorted((p["pytorch"] for p in prev[line]), key=vkey, reverse=True)
            for p in prev[line]:
                for tag in p["cuda_wheel_variants"]:
                    if tag not in variants:  # e.g. 1.12.x cu102: on the page, not in the matrix
                        cuda = f"{tag[2:-1]}.{tag[-1]}"
                        variants[tag] = {"tag": tag, "cuda": cuda, "cudnn": None,
                                         "index_url": f"https://download.pytorch.org/whl/{tag}",
                                         "archs": None, "experimental": False}
            srcs.append(prev[line][0]["source"])
        releases.append({
            "version": line, "patches": patches, "python_min": py_min, "python_max": py_max,
            "python_experimental": py_exp,
            "variants": sorted(variants.values(), key=lambda v: vkey(v["cuda"]), reverse=True),
            "source": "; ".join(srcs),
        })
    releases.sort(key=lambda r: vkey(r["version"]), reverse=True)
    return {
        "schema": "cudaup-pytorch/1",
        "description": "PyTorch release lines and their CUDA wheel variants (pip install torch "
                       "--index-url <index_url>), newest CUDA first. Generated by "
                       "manifests/tools/gen-catalog.py; do not edit by hand.",
        "sources": [
            {"what": "release compatibility matrix, wheel architectures",
             "source": "https://github.com/pytorch/pytorch/blob/main/RELEASE.md#release-compatibility-matrix",
             "licence": "BSD-3-Clause (PyTorch repository)"},
            {"what": "wheel variants of releases up to 2.0.1",
             "source": "github.com/pytorch/pytorch.github.io _get_started/previous-versions.md "
                       "(commit 04862e376ea686ba351674864400db1d93113979)",
             "licence": "not checked; facts only"},
        ],
        "releases": releases,
    }


# ---------------------------------------------------------------- tensorflow.json

def parse_tf_python(raw, what):
    """"3.7-3.10" -> ("3.7", "3.10"); "2.7, 3.3-3.7" -> ("3.3", "3.7") (Python 2 dropped);
    "3.5" -> ("3.5", "3.5")."""
    py3 = [p.strip() for p in raw.split(",") if not p.strip().startswith("2.")]
    if len(py3) != 1:
        fail(f"{what}: Python {raw!r}")
    ends = py3[0].split("-")
    for e in ends:
        if not re.match(r"^3\.\d+$", e):
            fail(f"{what}: Python {raw!r}")
    return ends[0], ends[-1]


def build_tensorflow(data_dir):
    doc = load(data_dir, "compat/tensorflow-tested-configs.json")
    commit = "7c3650212740204359d4ceae481abc79345541be"
    urls = {"linux": f"github.com/tensorflow/docs site/en/install/source.md (commit {commit})",
            "windows": f"github.com/tensorflow/docs site/en/install/source_windows.md (commit {commit})"}
    rows = []
    for os_name, key in (("linux", "linux_gpu"), ("windows", "windows_gpu")):
        for r in doc[key]:
            m = re.match(r"^(tensorflow|tensorflow_gpu)-(\d+\.\d+\.\d+)$", r["version"])
            if not m:
                fail(f"{key}: version {r['version']!r}")
            what = f"{key} {r['version']}"
            py_min, py_max = parse_tf_python(r["python"], what)
            rows.append({
                "version": m[2], "package": m[1].replace("_", "-"), "os": os_name,
                "python_min": py_min, "python_max": py_max,
                "cuda": check_version(r["cuda"], what), "cudnn": check_version(r["cudnn"], what),
                "source": urls[os_name],
            })
    rows.sort(key=lambda r: (vkey(r["version"]), r["os"]), reverse=True)
    return {
        "schema": "cudaup-tensorflow/1",
        "description": "TensorFlow tested GPU build configurations (Linux; native Windows up to "
                       "2.10). cuda/cudnn as printed (major.minor, or a bare major for old rows). "
                       "Generated by manifests/tools/gen-catalog.py; do not edit by hand.",
        "sources": [
            {"what": "tested build configurations (GPU tables)",
             "source": "github.com/tensorflow/docs site/en/install/source.md, "
                       "site/en/install/source_windows.md "
                       "(commit 7c3650212740204359d4ceae481abc79345541be)",
             "licence": "Apache-2.0"},
        ],
        "releases": rows,
    }


# ---------------------------------------------------------------- output

def dump(doc, table_keys):
    """JSON with one row per line (rows of @table_keys), small and readable in diffs."""
    head = {k: v for k, v in doc.items() if k not in table_keys}
    out = [json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ","]
    for i, key in enumerate(table_keys):
        out.append(f'  "{key}": [')
        rows = ["    " + json.dumps(r, ensure_ascii=False) + "," for r in doc[key]]
        rows[-1] = rows[-1][:-1]
        out += rows
        out.append("  ]," if i + 1 < len(table_keys) else "  ]")
    out += ["}", ""]
    text = "\n".join(out)
    if json.loads(text) != doc:
        fail("the hand-made layout changed the document")
    return text


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("-o", "--output-dir", default=os.path.join(repo, "manifests"))
    args = ap.parse_args()
    outputs = [
        ("cuda.json", build_cuda(args.data_dir),
         ["releases", "minor_version_compatibility", "compute_capability"]),
        ("cudnn.json", build_cudnn(args.data_dir), ["releases"]),
        ("pytorch.json", build_pytorch(args.data_dir), ["releases"]),
        ("tensorflow.json", build_tensorflow(args.data_dir), ["releases"]),
    ]
    for name, doc, keys in outputs:
        path = os.path.join(args.output_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump(doc, keys))
        print(f"{path}: " + ", ".join(f"{len(doc[k])} {k}" for k in keys))


if __name__ == "__main__":
    main()
