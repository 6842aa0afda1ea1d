/* toolkit.h - the CUDA toolkits installed on a machine and the cuDNN inside each.
 *
 * Detection only reads files (and runs `nvcc --version` when the tree holds nothing cheaper
 * to read), always under a settable root, with the environment passed in explicitly, so that
 * tests run against fixture trees and are never fooled by the host's own toolkit or PATH.
 */
#pragma once

#include "core/system.h"

G_BEGIN_DECLS

/* Values of CupToolkit.version_source, best first. */
#define CUP_TOOLKIT_SOURCE_VERSION_JSON "version.json"
#define CUP_TOOLKIT_SOURCE_VERSION_TXT "version.txt"
#define CUP_TOOLKIT_SOURCE_NVCC "nvcc"
#define CUP_TOOLKIT_SOURCE_LIBCUDART "libcudart"               /* libcudart.so.X.Y.Z */
#define CUP_TOOLKIT_SOURCE_RUNTIME_HEADER "cuda_runtime_api.h" /* CUDART_VERSION */

/* Values of CupCudnn.source, best first. */
#define CUP_CUDNN_SOURCE_HEADER "cudnn_version.h" /* also cudnn_version_v9.h, 7.x cudnn.h */
#define CUP_CUDNN_SOURCE_LIBRARY_NAME "library-name"
#define CUP_CUDNN_SOURCE_LIBRARY "library" /* cudnnGetVersion() of the loaded library */

/* Values of CupToolkit.found_via besides the names of environment variables. */
#define CUP_FOUND_VIA_DEFAULT "default"

/**
 * cup_toolkits_detect: find the CUDA toolkits under @root (NULL or "/" for the real system).
 *
 * Candidate roots: the default locations /usr/local/cuda, /usr/local/cuda-*, /opt/cuda,
 * /opt/nvidia/cuda* and $XDG_DATA_HOME/cudaup/cuda-* (XDG_DATA_HOME, else $HOME/.local/share,
 * both read from @envp), found_via "default"; then what @envp points at: CUDA_PATH, CUDA_HOME
 * and CUDA_ROOT (the directory itself, found_via the variable's name), every PATH entry holding
 * nvcc (the parent of nvcc's directory, "PATH"; a
 * script that only execs another nvcc stands for that one) and every LD_LIBRARY_PATH entry that is
 * a lib, lib64 or targets/ARCH/lib directory ("LD_LIBRARY_PATH"). Every path is resolved inside
 * @root (cup_root_realpath), so a tree reached several ways is one toolkit whose root is its
 * canonical system path and whose found_via lists every way, in the order above.
 *
 * A directory is a toolkit when it holds version.json, version.txt, bin/nvcc or a libcudart
 * (lib64/, lib/, targets/ARCH/lib/). Its version comes from, best first: version.json
 * ("cuda"."version"; a build date the runfile writes as third part, "11.8.20220929", is
 * dropped: "11.8"; "cuda_nvcc"."version" also gives nvcc_version), version.txt
 * ("CUDA Version 11.8.89"), `nvcc --version` ("release 13.0, V13.0.88": version "13.0",
 * nvcc_version "13.0.88"; run only when neither file exists or parses, with a 3 s timeout),
 * the libcudart file name (libcudart.so.12.4.127 -> "12.4") and the CUDART_VERSION macro of
 * include/cuda_runtime_api.h (13000 -> "13.0"). The cuDNN of the tree comes from the
 * CUDNN_MAJOR/MINOR/PATCHLEVEL macros of include/cudnn_version.h (cuDNN >= 8; also the
 * _v8/_v9 and multiarch variants Debian packages install) or include/cudnn.h (cuDNN 7), else
 * from the library file name (libcudnn.so.8.9.7), else from cudnnGetVersion() of the library
 * itself when the file is a real ELF object (it is loaded and unloaded again).
 *
 * @envp: the environment to read (as from g_get_environ()); NULL means an empty one.
 * @warnings: a GPtrArray of char* (may be NULL); an unreadable or garbled file, a failing
 * nvcc, or a CUDA_PATH/CUDA_HOME/CUDA_ROOT that is not a toolkit appends one line naming
 * the file or variable, and detection goes on with the next source.
 *
 * Returns a new GPtrArray of CupToolkit* (owned by the caller, with cup_toolkit_free as its
 * free function), newest version first; toolkits whose version could not be read come last.
 * Paths in it are system paths (without @root).
 */
GPtrArray *cup_toolkits_detect(const char *root, const char *const *envp, GPtrArray *warnings);

/**
 * cup_toolkit_default_link: the "cuda" link beside @root that names the default toolkit
 * (ROOT/../cuda: /usr/local/cuda for /usr/local/cuda-13.0), as Makefiles, CMake's
 * FindCUDAToolkit and many guides expect. Newly allocated.
 */
char *cup_toolkit_default_link(const char *root);

/**
 * cup_toolkit_set_default: point cup_toolkit_default_link(@root) at @root: a new link renamed
 * over the old one, so the name is never missing. A real directory of that name (a toolkit
 * NVIDIA's runfile put there) is never replaced. Returns the link's path (newly allocated) or
 * NULL with CUP_ERROR_IO (naming the link and why, with the fix) or, on Windows, where
 * CUDA_PATH names the default toolkit, CUP_ERROR_UNSUPPORTED.
 */
char *cup_toolkit_set_default(const char *root, GError **error);

G_END_DECLS
