/* The instruction sets of the hot C loops, chosen when a module loads.
 *
 * The package is built for the baseline x86-64 ISA (no -march), so it runs on any x86-64 CPU.
 * A function marked DH_ISA_CLONES is compiled three times and an ifunc resolver picks one with
 * cpuid at load time: AVX-512 ("x86-64-v4": F, BW, DQ, VL — Intel since Skylake-SP, AMD since
 * Zen 4), AVX2 + FMA ("x86-64-v3") and the baseline. ISA levels, not CPU names: an
 * "arch=haswell" clone is picked by CPU model and never runs on AMD. With AVX-512, GCC also
 * calls glibc's 16-wide vector math (_ZGVeN16v_expf, ...). Other compilers and platforms get the
 * baseline only, as does a build with DH_NO_CLONES defined.
 */
#ifndef DH_ISA_H
#define DH_ISA_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(DH_NO_CLONES)
#define DH_ISA_HAVE_CLONES 1
#define DH_ISA_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DH_ISA_HAVE_CLONES 0
#define DH_ISA_CLONES
#endif

#endif
