/* The instruction sets of the hot C loops, chosen at run time.
 *
 * The package is built for the baseline x86-64 ISA (no -march), so it runs on any x86-64 CPU.
 * A hot loop is written once as an always-inline body, `NAME_impl`, and DH_ISA_VOID or
 * DH_ISA_FN define NAME from it: the body is compiled three times — AVX-512 ("x86-64-v4": F,
 * BW, DQ, VL — Intel since Skylake-SP, AMD since Zen 4), AVX2 + FMA ("x86-64-v3") and the
 * baseline — and the first call picks one from cpuid and the environment variable
 * DEEPHEALTH_ISA ("avx512", "avx2", "sse4" or "baseline"), which can only lower the level (to
 * test or compare the slower paths on a fast CPU). Hand-written SSSE3, SSE4.1 and AVX2 paths
 * ask DH_ISA_CPU_HAS, which obeys the same variable. ISA levels, not CPU names: an
 * "arch=haswell" clone is picked by CPU model and never runs on AMD. With AVX-512, GCC also
 * calls glibc's 16-wide vector math (_ZGVeN16v_expf, ...). Other compilers and platforms, and a
 * build with DH_NO_CLONES defined, get the baseline only.
 */
#ifndef DH_ISA_H
#define DH_ISA_H

#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(DH_NO_CLONES)
#define DH_ISA_HAVE_CLONES 1
#else
#define DH_ISA_HAVE_CLONES 0
#endif

#define DH_ISA_INLINE static inline __attribute__((always_inline))

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define DH_ISA_X86 1
#else
#define DH_ISA_X86 0
#endif

/* The level the loops of this process run at: 4 (x86-64-v4), 3 (x86-64-v3), 2 (x86-64-v2) or
 * 1 (baseline): the CPU's, lowered by DEEPHEALTH_ISA ("avx512", "avx2", "sse4", "baseline"). */
static inline int dh_isa_level(void)
{
#if DH_ISA_X86
    __builtin_cpu_init();
    int level = 1;
    if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3")
            && __builtin_cpu_supports("popcnt"))
        level = 2;
    if (level == 2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("bmi2"))
        level = 3;
    if (level == 3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        level = 4;
    const char *cap = getenv("DEEPHEALTH_ISA");
    if (cap != NULL) {
        int most = !strcmp(cap, "baseline") ? 1 : !strcmp(cap, "sse4") ? 2
                 : !strcmp(cap, "avx2") ? 3 : 4;
        if (most < level)
            level = most;
    }
    return level;
#else
    return 1;
#endif
}

/* Whether the hand-written paths for a CPU feature may run: the CPU has it (a name of
 * __builtin_cpu_supports) and the level allows it (SSSE3 and SSE4.1: 2, AVX2: 3). */
#define DH_ISA_CPU_HAS(feature, level) \
    (dh_isa_level() >= (level) && __builtin_cpu_supports(feature))

#if DH_ISA_HAVE_CLONES
/* The clones and a pointer to the chosen one, set at the first call (not by an ifunc resolver:
 * resolvers run while the module is being relocated, before getenv can be called). Threads
 * racing on the first call store the same value. */
#define DH_ISA_VERSIONS_(ret, name, params, call)                                       \
    __attribute__((target("arch=x86-64-v4"))) static ret name##_isa4 params { call; }   \
    __attribute__((target("arch=x86-64-v3"))) static ret name##_isa3 params { call; }   \
    static ret name##_isa1 params { call; }                                             \
    static ret (*name##_isa) params;                                                    \
    static ret (*name##_choose(void)) params                                            \
    {                                                                                   \
        int level = dh_isa_level();                                                     \
        ret (*f) params = level >= 4 ? name##_isa4 : level >= 3 ? name##_isa3           \
                                                                : name##_isa1;          \
        __atomic_store_n(&name##_isa, f, __ATOMIC_RELAXED);                             \
        return f;                                                                       \
    }                                                                                   \
    static inline ret (*name##_pick(void)) params                                       \
    {                                                                                   \
        ret (*f) params = __atomic_load_n(&name##_isa, __ATOMIC_RELAXED);               \
        return f ? f : name##_choose();                                                 \
    }
/* `storage void name params`, running name##_impl args at the chosen level (storage: static
 * or nothing) */
#define DH_ISA_VOID(storage, name, params, args)                                        \
    DH_ISA_VERSIONS_(void, name, params, name##_impl args)                              \
    storage void name params { name##_pick() args; }
/* the same for a function returning ret */
#define DH_ISA_FN(storage, ret, name, params, args)                                     \
    DH_ISA_VERSIONS_(ret, name, params, return name##_impl args)                        \
    storage ret name params { return name##_pick() args; }
#else
#define DH_ISA_VOID(storage, name, params, args)                                        \
    storage void name params { name##_impl args; }
#define DH_ISA_FN(storage, ret, name, params, args)                                     \
    storage ret name params { return name##_impl args; }
#endif

#endif
