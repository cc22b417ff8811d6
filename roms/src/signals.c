/* Signal delivery as programs use it. Every line is the same natively and on every run: no
 * addresses, pids or times are printed, only whether they matched what was expected.
 *   signals segv-longjmp | segv-context | ill-context | trap-context | ymm-context | fpe |
 *           alarm-restart | alarm-eintr | altstack | mask | siginfo | resethand | nodefer */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

/* Output goes straight to fd 1 so lines from handlers and from main keep their order. */
static void say(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (write(1, buf, n) < 0)
        _exit(99);
}

static const char *code_name(int sig, int code) {
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_TIMER: return "SI_TIMER";
    }
    if (sig == SIGSEGV && code == SEGV_MAPERR) return "SEGV_MAPERR";
    if (sig == SIGSEGV && code == SEGV_ACCERR) return "SEGV_ACCERR";
    if (sig == SIGILL && code == ILL_ILLOPN) return "ILL_ILLOPN";
    if (sig == SIGFPE && code == FPE_INTDIV) return "FPE_INTDIV";
    if (sig == SIGTRAP && code == TRAP_BRKPT) return "TRAP_BRKPT";
    static char other[32];
    snprintf(other, sizeof other, "code %d", code);
    return other;
}

static int is_blocked(int sig) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(3);
    }
}

/* ---- SIGSEGV caught and left with siglongjmp ------------------------------------------------ */

static sigjmp_buf jb;
static volatile void *expect_addr;
static volatile int seen_signo, seen_code, seen_addr_ok;

static void segv_jump(int sig, siginfo_t *si, void *uc) {
    seen_signo = si->si_signo;
    seen_code = si->si_code;
    seen_addr_ok = si->si_addr == expect_addr;
    siglongjmp(jb, sig);
}

static void segv_longjmp(void) {
    set_handler(SIGSEGV, segv_jump, 0);
    char *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone + 4096, 4096);
    for (int i = 0; i < 12; i++) {
        volatile char *target;
        const char *what;
        int write_it = 1;
        switch (i % 4) {
        case 0: target = (volatile char *)0; what = "null write"; break;
        case 1: target = (volatile char *)(uintptr_t)0x7ff000000010; what = "unmapped read"; write_it = 0; break;
        case 2: target = (volatile char *)ro + 123; what = "read-only write"; break;
        default: target = (volatile char *)gone + 4096 + 7; what = "unmapped hole write"; break;
        }
        expect_addr = target;
        int r = sigsetjmp(jb, 1);
        if (r == 0) {
            if (write_it)
                *target = 1;
            else
                (void)*target;
            say("%d %s: no fault!\n", i, what);
        } else {
            say("%d %s: caught sig=%d signo=%d code=%s addr_ok=%d segv_blocked_after=%d\n", i, what, r,
                seen_signo, code_name(seen_signo, seen_code), seen_addr_ok, is_blocked(SIGSEGV));
        }
    }
    /* Without saving the mask, SIGSEGV stays blocked after the jump, as the handler left it. */
    expect_addr = 0;
    if (sigsetjmp(jb, 0) == 0) {
        *(volatile int *)0 = 1;
    } else {
        say("no-savemask jump: segv_blocked_after=%d\n", is_blocked(SIGSEGV));
    }
    sigset_t s;
    sigemptyset(&s);
    sigprocmask(SIG_SETMASK, &s, NULL);
    say("done\n");
}

/* ---- handlers that edit the interrupted context ------------------------------------------- */

static volatile uint64_t fault_at, resume_at;
static volatile int ctx_hits;

static void ctx_handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    ctx_hits++;
    say("handler: sig=%d code=%s rip_at_fault=%d addr_ok=%d rbx=%lld trapno=%lld err=%lld cr2_ok=%d\n",
        si->si_signo, code_name(sig, si->si_code), (uint64_t)g[REG_RIP] == fault_at,
        sig == SIGTRAP ? si->si_addr == 0 : (uint64_t)si->si_addr == (sig == SIGSEGV ? 0 : fault_at),
        (long long)g[REG_RBX], (long long)g[REG_TRAPNO], (long long)g[REG_ERR],
        sig == SIGSEGV ? g[REG_CR2] == 0 : 1);
    /* Edit the general registers and one XMM register, then resume after the instruction. */
    g[REG_RIP] = resume_at;
    g[REG_RBX] += 1000 * ctx_hits;
    g[REG_R12] = 0x1122334455667788LL;
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    say("handler: xmm1 low=%08x mxcsr_ok=%d\n", fp->_xmm[1].element[0], (fp->mxcsr & 0xffbf) == 0x1f80);
    fp->_xmm[1].element[0] = 0xabcd0000u + ctx_hits;
}

static void segv_context(void) {
    set_handler(SIGSEGV, ctx_handler, 0);
    for (int i = 0; i < 3; i++) {
        uint64_t rbx = 7 + i, r12 = 0;
        uint32_t x1;
        asm volatile("lea 0f(%%rip), %%rdx\n\t"
                     "mov %%rdx, %[fa]\n\t"
                     "lea 1f(%%rip), %%rdx\n\t"
                     "mov %%rdx, %[ra]\n\t"
                     "mov $0x5151, %%edx\n\t"
                     "movd %%edx, %%xmm1\n\t"
                     "xor %%eax, %%eax\n\t"
                     "xor %%r12d, %%r12d\n"
                     "0:\tmovl $1, (%%rax)\n\t"
                     "mov $77, %%rbx\n" /* skipped by the handler */
                     "1:\tmov %%r12, %[r12]\n\t"
                     "movd %%xmm1, %[x1]\n\t"
                     : "+b"(rbx), [r12] "=m"(r12), [x1] "=r"(x1), [fa] "=m"(fault_at), [ra] "=m"(resume_at)
                     :
                     : "rax", "rdx", "r12", "xmm1", "memory");
        say("after: rbx=%llu r12=%llx xmm1=%08x\n", (unsigned long long)rbx, (unsigned long long)r12, x1);
    }
    say("hits=%d\n", ctx_hits);
}

static void ill_context(void) {
    set_handler(SIGILL, ctx_handler, 0);
    for (int i = 0; i < 2; i++) {
        uint64_t rbx = 20 + i, r12 = 0;
        uint32_t x1;
        asm volatile("lea 0f(%%rip), %%rdx\n\t"
                     "mov %%rdx, %[fa]\n\t"
                     "lea 1f(%%rip), %%rdx\n\t"
                     "mov %%rdx, %[ra]\n\t"
                     "mov $0x6161, %%edx\n\t"
                     "movd %%edx, %%xmm1\n\t"
                     "xor %%r12d, %%r12d\n"
                     "0:\tud2\n"
                     "1:\tmov %%r12, %[r12]\n\t"
                     "movd %%xmm1, %[x1]\n\t"
                     : "+b"(rbx), [r12] "=m"(r12), [x1] "=r"(x1), [fa] "=m"(fault_at), [ra] "=m"(resume_at)
                     :
                     : "rdx", "r12", "xmm1", "memory");
        say("after: rbx=%llu r12=%llx xmm1=%08x\n", (unsigned long long)rbx, (unsigned long long)r12, x1);
    }
    say("hits=%d\n", ctx_hits);
}

/* int3 reports the address after the instruction, so resuming needs no edit of RIP. */
static void trap_context(void) {
    set_handler(SIGTRAP, ctx_handler, 0);
    uint64_t rbx = 5, r12 = 0;
    uint32_t x1;
    asm volatile("lea 1f(%%rip), %%rdx\n\t"
                 "mov %%rdx, %[fa]\n\t"
                 "mov %%rdx, %[ra]\n\t"
                 "mov $0x7171, %%edx\n\t"
                 "movd %%edx, %%xmm1\n\t"
                 "xor %%r12d, %%r12d\n\t"
                 "int3\n"
                 "1:\tmov %%r12, %[r12]\n\t"
                 "movd %%xmm1, %[x1]\n\t"
                 : "+b"(rbx), [r12] "=m"(r12), [x1] "=r"(x1), [fa] "=m"(fault_at), [ra] "=m"(resume_at)
                 :
                 : "rdx", "r12", "xmm1", "memory");
    say("after: rbx=%llu r12=%llx xmm1=%08x\n", (unsigned long long)rbx, (unsigned long long)r12, x1);
}

/* ---- the YMM upper halves in the frame's XSAVE state -------------------------------------- */

/* With AVX enabled, Linux saves the FP state in XSAVE layout: the FXSAVE image's software bytes
 * (464..511) say so (magic1, sizes, features), XSTATE_BV at 512 lists the saved components, the
 * YMM upper halves are at 576 and FP_XSTATE_MAGIC2 follows the image. Only what is the same on
 * every AVX host is printed (an AVX-512 host has a larger image and more features). */
enum { YMM_EDIT, YMM_CLEAR_BV, YMM_CLEAR_XFEATURES, YMM_BREAK_MAGIC2 };
static volatile int ymm_action;

static void ymm_handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    struct _fpx_sw_bytes *sw = (struct _fpx_sw_bytes *)(fp + 464);
    uint32_t magic2;
    uint64_t bv, up[4];
    memcpy(&magic2, fp + sw->xstate_size, 4);
    memcpy(&bv, fp + 512, 8);
    memcpy(&up[0], fp + 576 + 16 * 1, 16);
    memcpy(&up[2], fp + 576 + 16 * 9, 16);
    say("handler: uc_flags=%lx magic1_ok=%d xfeatures&7=%llx xstate_size_ok=%d extended_size_ok=%d "
        "magic2_ok=%d xstate_bv&7=%llx\n",
        uc->uc_flags, sw->magic1 == FP_XSTATE_MAGIC1, (unsigned long long)(sw->xstate_bv & 7),
        sw->xstate_size >= 832, sw->extended_size == sw->xstate_size + 4, magic2 == FP_XSTATE_MAGIC2,
        (unsigned long long)(bv & 7));
    say("handler: ymm1[255:128]=%016llx%016llx ymm9[255:128]=%016llx%016llx\n", (unsigned long long)up[1],
        (unsigned long long)up[0], (unsigned long long)up[3], (unsigned long long)up[2]);
    /* The handler's own AVX code (and libc's, which ends in vzeroupper) must not leak back. */
    asm volatile("vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\t"
                 "vpcmpeqd %%ymm9, %%ymm9, %%ymm9\n\t"
                 "vzeroupper" ::: "xmm1", "xmm9");
    up[0] = 0x0123456789abcdefull;
    up[1] = 0xfedcba9876543210ull;
    up[2] = 0x1111222233334444ull ^ ctx_hits;
    up[3] = 0x5555666677778888ull;
    memcpy(fp + 576 + 16 * 1, &up[0], 16);
    memcpy(fp + 576 + 16 * 9, &up[2], 16);
    uc->uc_mcontext.fpregs->_xmm[1].element[0] = 0xabcd0000u + ymm_action;
    ctx_hits++;
    switch (ymm_action) {
    case YMM_CLEAR_BV: /* the AVX component in its initial state: upper halves zero */
        bv &= ~(uint64_t)4;
        memcpy(fp + 512, &bv, 8);
        break;
    case YMM_CLEAR_XFEATURES: /* AVX not among the features to restore (glibc calls the field
                               * xstate_bv, Linux xfeatures): reset as well */
        sw->xstate_bv &= ~(uint64_t)4;
        break;
    case YMM_BREAK_MAGIC2: /* no extended state: the FXSAVE image alone, the rest reset */
        magic2 = 0;
        memcpy(fp + sw->xstate_size, &magic2, 4);
        break;
    }
}

static void ymm_context(void) {
    static const char *names[] = {"edit", "clear-xstate_bv", "clear-xfeatures", "break-magic2"};
    set_handler(SIGTRAP, ymm_handler, 0);
    for (int a = YMM_EDIT; a <= YMM_BREAK_MAGIC2; a++) {
        uint64_t in[8], out[8];
        for (int i = 0; i < 8; i++)
            in[i] = 0x0101010101010101ull * (uint64_t)(a * 8 + i + 1);
        ymm_action = a;
        say("%s:\n", names[a]);
        asm volatile("vmovdqu %[in0], %%ymm1\n\t"
                     "vmovdqu %[in1], %%ymm9\n\t"
                     "int3\n\t"
                     "vmovdqu %%ymm1, %[out0]\n\t"
                     "vmovdqu %%ymm9, %[out1]\n\t"
                     "vzeroupper"
                     : [out0] "=m"(*(uint64_t(*)[4])out), [out1] "=m"(*(uint64_t(*)[4])(out + 4))
                     : [in0] "m"(*(const uint64_t(*)[4])in), [in1] "m"(*(const uint64_t(*)[4])(in + 4))
                     : "xmm1", "xmm9", "memory");
        say("after: ymm1=%016llx%016llx%016llx%016llx\n", (unsigned long long)out[3],
            (unsigned long long)out[2], (unsigned long long)out[1], (unsigned long long)out[0]);
        say("after: ymm9=%016llx%016llx%016llx%016llx\n", (unsigned long long)out[7],
            (unsigned long long)out[6], (unsigned long long)out[5], (unsigned long long)out[4]);
    }
}

/* ---- SIGFPE from integer division ------------------------------------------------------------ */

static volatile uint64_t div_at;

static void fpe_jump(int sig, siginfo_t *si, void *uc) {
    seen_signo = si->si_signo;
    seen_code = si->si_code;
    seen_addr_ok = (uint64_t)si->si_addr == div_at;
    siglongjmp(jb, sig);
}

static void fpe(void) {
    set_handler(SIGFPE, fpe_jump, 0);
    static const struct { int64_t a, b; const char *what; } cases[] = {
        {10, 0, "10/0"}, {-7, 0, "-7/0"}, {INT64_MIN, -1, "INT64_MIN/-1"}, {100, 7, "100/7"}, {0, 0, "0/0"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (sigsetjmp(jb, 1) == 0) {
            int64_t q = cases[i].a, r;
            asm volatile("lea 0f(%%rip), %%rcx\n\t"
                         "mov %%rcx, %[da]\n\t"
                         "cqo\n"
                         "0:\tidivq %[b]\n\t"
                         : "+a"(q), "=&d"(r), [da] "=m"(div_at)
                         : [b] "r"(cases[i].b)
                         : "rcx", "memory");
            say("%s = %lld rem %lld\n", cases[i].what, (long long)q, (long long)r);
        } else {
            say("%s: signo=%d code=%s addr_ok=%d\n", cases[i].what, seen_signo, code_name(seen_signo, seen_code),
                seen_addr_ok);
        }
    }
    /* 32-bit and 8-bit forms too. */
    if (sigsetjmp(jb, 1) == 0) {
        uint32_t q;
        asm volatile("lea 0f(%%rip), %%rcx\n\t"
                     "mov %%rcx, %[da]\n\t"
                     "xor %%edx, %%edx\n"
                     "0:\tdivl %[b]\n\t"
                     : "=a"(q), [da] "=m"(div_at)
                     : "a"(5), [b] "r"(0)
                     : "rcx", "rdx", "memory");
        say("div32 = %u\n", q);
    } else {
        say("div32: signo=%d code=%s addr_ok=%d\n", seen_signo, code_name(seen_signo, seen_code), seen_addr_ok);
    }
    if (sigsetjmp(jb, 1) == 0) {
        uint16_t ax;
        asm volatile("lea 0f(%%rip), %%rcx\n\t"
                     "mov %%rcx, %[da]\n\t"
                     "mov $0x1000, %%ax\n"
                     "0:\tdivb %[b]\n\t" /* quotient 0x100 overflows AL */
                     : "=a"(ax), [da] "=m"(div_at)
                     : [b] "q"((uint8_t)0x10)
                     : "rcx", "memory");
        say("div8 = %u\n", ax);
    } else {
        say("div8 overflow: signo=%d code=%s addr_ok=%d\n", seen_signo, code_name(seen_signo, seen_code),
            seen_addr_ok);
    }
}

/* ---- SIGALRM interrupting a blocking read ---------------------------------------------------- */

static int pfd[2];
static volatile int alarms;

static void arm(int ms) {
    struct itimerval it = {{0, 0}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void on_alarm(int sig, siginfo_t *si, void *uc) {
    alarms++;
    say("alarm %d: signo=%d code=%s\n", alarms, si->si_signo, code_name(sig, si->si_code));
    if (alarms == 1)
        arm(120); /* the restarted read must keep waiting */
    else if (write(pfd[1], "x", 1) != 1)
        _exit(98);
}

static void alarm_read(int restart) {
    if (pipe(pfd) != 0) {
        perror("pipe");
        exit(3);
    }
    set_handler(SIGALRM, on_alarm, restart ? SA_RESTART : 0);
    arm(150);
    char c = 0;
    errno = 0;
    ssize_t n = read(pfd[0], &c, 1);
    int e = errno;
    say("read returned %zd errno=%s char=%c alarms=%d\n", n, e == EINTR ? "EINTR" : e ? strerror(e) : "0",
        n == 1 ? c : '-', alarms);
    if (!restart) {
        /* The timer was re-armed by the handler; a second interrupted read says the same. */
        n = read(pfd[0], &c, 1);
        say("second read returned %zd char=%c alarms=%d\n", n, n == 1 ? c : '-', alarms);
    }
}

/* ---- sigaltstack ----------------------------------------------------------------------------- */

static char *alt_base;
static size_t alt_size;

static void on_alt(int sig, siginfo_t *si, void *uc) {
    char local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    say("handler sig=%d on_alt_stack=%d ss_onstack=%d\n", sig,
        &local >= alt_base && &local < alt_base + alt_size, (cur.ss_flags & SS_ONSTACK) != 0);
    if (sig == SIGSEGV)
        siglongjmp(jb, 1);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int deep(volatile int *p) {
    volatile char pad[1024];
    pad[0] = (char)*p;
    int n = *p + 1;
    return deep(&n) + pad[0];
}

static void altstack(void) {
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        exit(3);
    }
    set_handler(SIGUSR1, on_alt, SA_ONSTACK);
    set_handler(SIGUSR2, on_alt, 0); /* not SA_ONSTACK: runs on the normal stack */
    raise(SIGUSR1);
    raise(SIGUSR2);
    stack_t cur;
    sigaltstack(NULL, &cur);
    say("after handlers: ss_onstack=%d size_ok=%d\n", (cur.ss_flags & SS_ONSTACK) != 0, cur.ss_size == alt_size);
    /* Stack overflow: only a handler on the alternate stack can run. */
    set_handler(SIGSEGV, on_alt, SA_ONSTACK);
    for (int i = 0; i < 2; i++) {
        if (sigsetjmp(jb, 1) == 0) {
            int n = 0;
            say("%d\n", deep(&n));
        } else {
            say("recovered from stack overflow %d\n", i);
        }
    }
    stack_t off = {.ss_flags = SS_DISABLE};
    say("disable: %d\n", sigaltstack(&off, NULL));
    sigaltstack(NULL, &cur);
    say("disabled flag: %d\n", (cur.ss_flags & SS_DISABLE) != 0);
}

/* ---- masks, pending signals, sigsuspend, queueing ---------------------------------------- */

static void on_mask(int sig, siginfo_t *si, void *uc) {
    say("handler %s code=%s value=%d usr1_blocked_inside=%d\n",
        sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : sig == SIGRTMIN + 1 ? "SIGRTMIN+1" : "?",
        code_name(sig, si->si_code), si->si_code == SI_QUEUE ? si->si_value.sival_int : -1,
        is_blocked(SIGUSR1));
}

static void mask(void) {
    set_handler(SIGUSR1, on_mask, 0);
    set_handler(SIGUSR2, on_mask, 0);
    set_handler(SIGRTMIN + 1, on_mask, 0);
    sigset_t block, old, pend;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR2);
    raise(SIGUSR1);
    raise(SIGUSR1); /* standard signals do not queue */
    for (int i = 0; i < 3; i++) {
        union sigval v = {.sival_int = 100 + i};
        sigqueue(getpid(), SIGRTMIN + 1, v); /* real-time ones do, in order */
    }
    sigpending(&pend);
    say("pending: usr1=%d usr2=%d rt1=%d term=%d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
        sigismember(&pend, SIGRTMIN + 1), sigismember(&pend, SIGTERM));
    say("unblocking\n");
    sigprocmask(SIG_SETMASK, &old, NULL);
    say("unblocked\n");
    sigpending(&pend);
    say("pending now: usr1=%d\n", sigismember(&pend, SIGUSR1));

    /* sigsuspend: wait with a temporary mask, the old mask comes back afterwards. */
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    sigset_t wait_mask;
    sigfillset(&wait_mask);
    sigdelset(&wait_mask, SIGUSR1);
    errno = 0;
    int r = sigsuspend(&wait_mask);
    say("sigsuspend returned %d errno=%s usr1_blocked_after=%d usr2_pending=%d\n", r,
        errno == EINTR ? "EINTR" : "?", is_blocked(SIGUSR1), (sigpending(&pend), sigismember(&pend, SIGUSR2)));
    /* sigwaitinfo takes a blocked signal without running its handler. */
    union sigval v = {.sival_int = 7};
    sigqueue(getpid(), SIGRTMIN + 1, v);
    siginfo_t si;
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    int s = sigwaitinfo(&rt, &si);
    say("sigwaitinfo: got_rt1=%d code=%s value=%d\n", s == SIGRTMIN + 1, code_name(s, si.si_code),
        si.si_value.sival_int);
    struct timespec ts = {0, 20 * 1000 * 1000};
    errno = 0;
    s = sigtimedwait(&rt, &si, &ts);
    say("sigtimedwait with nothing pending: %d errno=%s\n", s, errno == EAGAIN ? "EAGAIN" : "?");
    /* SIGKILL and SIGSTOP cannot be blocked; the mask silently drops them. */
    sigset_t ks, got;
    sigemptyset(&ks);
    sigaddset(&ks, SIGKILL);
    sigaddset(&ks, SIGSTOP);
    sigprocmask(SIG_BLOCK, &ks, NULL);
    sigprocmask(SIG_BLOCK, NULL, &got);
    say("kill blocked=%d stop blocked=%d\n", sigismember(&got, SIGKILL), sigismember(&got, SIGSTOP));
    struct sigaction sa = {.sa_handler = SIG_IGN};
    errno = 0;
    r = sigaction(SIGKILL, &sa, NULL);
    say("sigaction(SIGKILL)=%d errno=%s\n", r, errno == EINVAL ? "EINVAL" : "?");
}

/* ---- siginfo of signals sent to oneself --------------------------------------------------- */

static void on_info(int sig, siginfo_t *si, void *uc) {
    say("sig=%d signo=%d code=%s pid_ok=%d uid_ok=%d\n", sig, si->si_signo, code_name(sig, si->si_code),
        si->si_pid == getpid(), si->si_uid == getuid());
}

static void siginfo(void) {
    set_handler(SIGUSR1, on_info, 0);
    set_handler(SIGUSR2, on_info, 0);
    say("raise:\n");
    raise(SIGUSR1);
    say("kill:\n");
    kill(getpid(), SIGUSR2);
    say("tgkill:\n");
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
    say("tkill:\n");
    syscall(SYS_tkill, gettid(), SIGUSR1);
    say("sigqueue:\n");
    union sigval v = {.sival_int = 5};
    sigqueue(getpid(), SIGUSR2, v);
    say("kill(pid, 0)=%d\n", kill(getpid(), 0));
    errno = 0;
    int r = kill(getpid(), 99);
    say("kill(pid, 99)=%d errno=%s\n", r, errno == EINVAL ? "EINVAL" : "?");
}

/* ---- SA_RESETHAND and SA_NODEFER ----------------------------------------------------------- */

static volatile int depth_now, nested_max, entries;

static void on_reset(int sig, siginfo_t *si, void *uc) {
    struct sigaction cur;
    sigaction(sig, NULL, &cur);
    say("handler sig=%d blocked_inside=%d disposition_now=%s\n", sig, is_blocked(sig),
        cur.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");
}

static void resethand(void) {
    set_handler(SIGWINCH, on_reset, SA_RESETHAND);
    raise(SIGWINCH);
    say("second SIGWINCH (default: ignored)\n");
    raise(SIGWINCH);
    set_handler(SIGTERM, on_reset, SA_RESETHAND);
    raise(SIGTERM);
    say("second SIGTERM kills\n");
    raise(SIGTERM);
    say("still alive?\n");
}

static void on_nest(int sig, siginfo_t *si, void *uc) {
    int me = ++depth_now;
    if (me > nested_max)
        nested_max = me;
    say("enter %d at depth %d (blocked inside=%d)\n", ++entries, me, is_blocked(sig));
    if (entries < 3)
        raise(sig);
    say("leave %d\n", me);
    depth_now--;
}

static void on_samask(int sig, siginfo_t *si, void *uc) {
    say("sa_mask handler: usr2 blocked inside=%d, raising SIGUSR2\n", is_blocked(SIGUSR2));
    raise(SIGUSR2);
    say("sa_mask handler returns\n");
}

static void nodefer(void) {
    say("without SA_NODEFER:\n");
    set_handler(SIGUSR1, on_nest, 0);
    raise(SIGUSR1);
    say("max nesting %d\n", nested_max);
    nested_max = 0;
    entries = 0;
    say("with SA_NODEFER:\n");
    set_handler(SIGUSR1, on_nest, SA_NODEFER);
    raise(SIGUSR1);
    say("max nesting %d\n", nested_max);
    /* sa_mask: a signal named there is blocked while the handler runs. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_samask;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGWINCH, &sa, NULL);
    set_handler(SIGUSR2, on_info, 0);
    raise(SIGWINCH);
    say("usr2 blocked after=%d\n", is_blocked(SIGUSR2));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    struct {
        const char *name;
        void (*fn)(void);
    } modes[] = {
        {"segv-longjmp", segv_longjmp}, {"segv-context", segv_context}, {"ill-context", ill_context},
        {"trap-context", trap_context}, {"ymm-context", ymm_context},   {"fpe", fpe},
        {"altstack", altstack},
        {"mask", mask},                 {"siginfo", siginfo},           {"resethand", resethand},
        {"nodefer", nodefer},
    };
    if (strcmp(mode, "alarm-restart") == 0) {
        alarm_read(1);
        return 0;
    }
    if (strcmp(mode, "alarm-eintr") == 0) {
        alarm_read(0);
        return 0;
    }
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(mode, modes[i].name) == 0) {
            modes[i].fn();
            return 0;
        }
    }
    fprintf(stderr, "signals: unknown mode %s\n", mode);
    return 2;
}
