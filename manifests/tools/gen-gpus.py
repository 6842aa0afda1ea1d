#!/usr/bin/env python3
"""gen-gpus.py - build manifests/gpus.json (PCI device id -> chip -> architecture -> CC).

Usage: manifests/tools/gen-gpus.py [DATA_DIR] [-o OUTPUT]

DATA_DIR (the team's reference data directory, given explicitly) must hold
  gpus/pci.ids.nvidia-devices.txt          NVIDIA device lines of pci.ids
  compat/gpu-compute-capability.json       chips per compute capability (Wikipedia)
  gpus/pci-devid-to-cc.json                an independent join of the two, used as a cross-check
  gpus/nvidia-driver-525-supported-gpus.json  NVIDIA's supported-gpus.json of an R525 driver
                                           (legacy driver branches)
The output (default: manifests/gpus.json next to this tools/ directory) is rewritten in full;
running the script twice on the same inputs gives the same bytes.

Rules (documented in manifests/README.md, section gpus.json):
  * The chip is the first word of the pci.ids text before "[" (e.g. "GA104M" of
    "GA104M [GeForce RTX 3070 Ti Mobile / Max-Q]"); an alias after " / " is ignored.
  * A chip is looked up exactly first, then with pci.ids suffixes removed, one at a time,
    longest first: GLM, GL, M (mobile / professional variants), then one revision letter B or C
    after a digit (GK110B -> GK110, G96C -> G96). Chips that are themselves in the table (GB10B,
    GK20A, GT200b) match exactly and are never stripped.
  * Functions that are not the GPU (HD Audio, USB, UCSI, PCI bridges) carry their chip name in
    pci.ids but are not CUDA devices: they are left out.
  * A device is listed only when its chip resolves to a compute capability.
  * "legacy_branch": the driver branch that last supports the device ("470" of "470.xx"), from
    the legacybranch of its devid rows in supported-gpus.json; rows that add a subsystem id
    must agree with the plain row (the script fails otherwise). Absent = not a legacy GPU
    for the R525 driver (current, or newer than that file).
"""

import argparse
import json
import os
import re
import sys

SCHEMA = "cudaup-gpus/1"
SUFFIXES = ("GLM", "GL", "M")
REVISION = re.compile(r"^(.*\d)[BC]$")
NOT_A_GPU = re.compile(r"\b(Audio|USB|UCSI|bridge|Controller)\b", re.IGNORECASE)
DEVICE_LINE = re.compile(r"^\t([0-9a-f]{4})  (.+)$")
VERSION_LINE = re.compile(r"Version: (\S+)")
COMMIT = re.compile(r"commit ([0-9a-f]{40})")


def fail(msg):
    sys.exit(f"gen-gpus.py: {msg}")


def read_pci_ids(path):
    """Device id -> pci.ids text, plus the pci.ids version and commit named in the header."""
    devices, version, commit = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                version = version or (VERSION_LINE.search(line) or [None, None])[1]
                commit = commit or (COMMIT.search(line) or [None, None])[1]
                continue
            m = DEVICE_LINE.match(line)
            if not m:
                fail(f"{path}: unexpected line {line!r}")
            if m[1] in devices:
                fail(f"{path}: device {m[1]} listed twice")
            devices[m[1]] = m[2]
    return devices, version.rstrip(")") if version else None, commit


def resolve_chip(word, chip_cc):
    """The CC-table chip for a pci.ids chip word, or None."""
    candidates = [word]
    for _ in range(3):
        base = candidates[-1]
        for suffix in SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix):
                candidates.append(base[: -len(suffix)])
                break
        else:
            m = REVISION.match(base)
            if not m:
                break
            candidates.append(m[1])
    for c in candidates:
        if c in chip_cc:
            return c
    return None


def chip_of(text, chip_cc):
    head = text.split("[", 1)[0].strip()
    if not head or NOT_A_GPU.search(head):
        return None
    word = head.split(" / ", 1)[0].split()[0]
    return resolve_chip(word, chip_cc)


def read_legacy(path):
    """PCI device id (4 lower-case hex digits) -> legacy branch ("470"), from supported-gpus.json."""
    with open(path, encoding="utf-8") as f:
        chips = json.load(f)["chips"]
    branches = {}
    for chip in chips:
        devid = chip["devid"].lower()
        if not re.match(r"^0x[0-9a-f]{4}$", devid):
            fail(f"{path}: devid {chip['devid']!r}")
        branch = chip.get("legacybranch")
        if branch is not None:
            m = re.match(r"^(\d+)(\.\d+)*\.xx$", branch)
            if not m:
                fail(f"{path}: legacybranch {branch!r}")
            branch = m[1]
        key = devid[2:]
        if key in branches and branches[key] != branch:
            fail(f"{path}: devid {devid}: legacy branches {branches[key]} and {branch} disagree")
        branches[key] = branch
    return {k: v for k, v in branches.items() if v is not None}


def build(data_dir):
    cc_doc = json.load(open(os.path.join(data_dir, "compat/gpu-compute-capability.json")))
    pci_path = os.path.join(data_dir, "gpus/pci.ids.nvidia-devices.txt")
    pci_devices, pci_version, pci_commit = read_pci_ids(pci_path)
    chip_cc = cc_doc["chip_to_compute_capability"]

    architectures = []
    for arch in cc_doc["architectures"]:
        for chip in arch["chips"]:
            if chip_cc.get(chip) != arch["compute_capability"]:
                fail(f"chip {chip}: architectures[] and chip_to_compute_capability disagree")
        architectures.append({"compute_capability": arch["compute_capability"],
                              "architecture": arch["microarchitecture"],
                              "sm": arch["sm"], "chips": arch["chips"]})
    listed = {c for a in architectures for c in a["chips"]}
    if listed != set(chip_cc):
        fail(f"chips without an architecture row: {sorted(set(chip_cc) - listed)}")

    legacy = read_legacy(os.path.join(data_dir, "gpus/nvidia-driver-525-supported-gpus.json"))
    devices = []
    for devid in sorted(pci_devices, key=lambda d: int(d, 16)):
        text = pci_devices[devid]
        chip = chip_of(text, chip_cc)
        if chip:
            device = {"pci_id": f"10de:{devid}", "chip": chip, "name": text}
            if devid in legacy:
                device["legacy_branch"] = legacy[devid]
            devices.append(device)
    cross_check(data_dir, devices, chip_cc, cc_doc)

    pci_source = "github.com/pciutils/pciids pci.ids"
    if pci_commit:
        pci_source += f" (commit {pci_commit}, version {pci_version})"
    return {
        "schema": SCHEMA,
        "description": "NVIDIA PCI device id -> chip -> architecture -> CUDA compute capability, "
                       "for detecting GPUs without a driver. Generated by manifests/tools/gen-gpus.py; "
                       "do not edit by hand. Only CUDA-capable GPU functions are listed.",
        "sources": [
            {"what": "PCI device ids, device names and chip codenames", "source": pci_source,
             "licence": "GPL-2.0-or-later OR BSD-3-Clause"},
            {"what": "chips per compute capability, architecture names",
             "source": "https://en.wikipedia.org/wiki/CUDA#GPUs_supported",
             "licence": "facts transcribed from Wikipedia (text CC BY-SA 4.0)"},
            {"what": "legacy driver branch per device",
             "source": "NVIDIA supported-gpus.json of the R525 Linux driver package, as stored in "
                       "github.com/alex-tu-cc/get-nvidia-supported-gpus-json "
                       "(bionic-nvidia-driver-525-supported-gpus.json, commit "
                       "40678c28e943cf34be39ee436b7a3cddf21bfebf)",
             "licence": "facts from the NVIDIA driver package"},
        ],
        "architectures": architectures,
        "devices": devices,
    }


def cross_check(data_dir, devices, chip_cc, cc_doc):
    """Our join must agree with pci-devid-to-cc.json and with the curated product list."""
    ours = {d["pci_id"][5:]: d["chip"] for d in devices}
    join = json.load(open(os.path.join(data_dir, "gpus/pci-devid-to-cc.json")))
    for row in join["devices"]:
        if row["compute_capability"] is None:
            if row["device_id"] in ours:
                fail(f"{row['device_id']}: resolved here, null CC in pci-devid-to-cc.json")
            continue
        chip = ours.get(row["device_id"])
        if chip is None:
            if not NOT_A_GPU.search(row["pci_ids_text"].split("[", 1)[0]):
                fail(f"{row['device_id']}: {row['pci_ids_text']!r} has a CC there, not here")
        elif chip_cc[chip] != row["compute_capability"]:
            fail(f"{row['device_id']}: CC {chip_cc[chip]} here, {row['compute_capability']} there")
    for product in cc_doc["products"]:
        for devid in product["pci_device_ids"]:
            if ours.get(devid) != product["chip"]:
                fail(f"product {product['name']} ({devid}): chip {ours.get(devid)} != {product['chip']}")


def dump(doc):
    """JSON with one device per line: small, and diffs stay readable."""
    head = {k: v for k, v in doc.items() if k not in ("architectures", "devices")}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    out = [text + ",", '  "architectures": [']
    out += ["    " + json.dumps(a, ensure_ascii=False) + "," for a in doc["architectures"]]
    out[-1] = out[-1][:-1]
    out += ["  ],", '  "devices": [']
    out += ["    " + json.dumps(d, ensure_ascii=False) + "," for d in doc["devices"]]
    out[-1] = out[-1][:-1]
    out += ["  ]", "}", ""]
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("-o", "--output", default=os.path.join(repo, "manifests", "gpus.json"))
    args = ap.parse_args()
    doc = build(args.data_dir)
    text = dump(doc)
    json.loads(text)  # the hand-made layout must still be JSON
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{args.output}: {len(doc['architectures'])} architectures, {len(doc['devices'])} devices")


if __name__ == "__main__":
    main()
