/*
 * refuse_io_uring COMMAND [ARGUMENT...]
 *
 * Runs COMMAND as a container runtime's or a hardened unit's seccomp policy would leave it: io_uring_setup,
 * io_uring_enter and io_uring_register fail with EPERM, every other system call runs. The end-to-end tests start the
 * service through it to see what an operator sees when the io_uring engine is refused (IoUringRefusal.cs).
 *
 * The filter is classic BPF installed with prctl (no libseccomp): it needs no privilege, since PR_SET_NO_NEW_PRIVS is
 * set first, and it is inherited across execve, so COMMAND and everything it starts run under it. Before the exec,
 * the launcher makes one io_uring_setup call itself and stops unless it is refused with EPERM, so a filter that does
 * not work fails loudly instead of letting the service run io_uring unnoticed.
 *
 * Exit codes of its own, as env(1)'s: 125 for bad use or a filter that cannot be installed, 126 when COMMAND cannot be
 * executed, 127 when it is not found. Otherwise it is COMMAND, with its exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The architecture a system call came in with: a number means nothing without it. */
#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#else
#error "refuse_io_uring knows the io_uring system call numbers of x86_64 and aarch64 only"
#endif

/* The same on x86_64 and aarch64 (both take them from the generic table); checked against the headers when they have them. */
#define NR_IO_URING_SETUP 425
#define NR_IO_URING_ENTER 426
#define NR_IO_URING_REGISTER 427
#if (defined(__NR_io_uring_setup) && __NR_io_uring_setup != NR_IO_URING_SETUP) \
    || (defined(__NR_io_uring_enter) && __NR_io_uring_enter != NR_IO_URING_ENTER) \
    || (defined(__NR_io_uring_register) && __NR_io_uring_register != NR_IO_URING_REGISTER)
#error "this system's io_uring system call numbers are not 425, 426 and 427"
#endif

enum { OWN_FAILURE = 125, CANNOT_EXECUTE = 126, NOT_FOUND = 127 };

static int install_filter(void)
{
    struct sock_filter program[] = {
        /*
         * Another architecture's calls (a 32-bit int 0x80 on x86_64) have other numbers, and x32's carry a high bit in
         * theirs: they are let through. A jump skips that many instructions when it holds (first) or not (second).
         */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_SETUP, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_ENTER, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_REGISTER, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog filter = { .len = sizeof program / sizeof program[0], .filter = program };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    {
        fprintf(stderr, "refuse_io_uring: prctl(PR_SET_NO_NEW_PRIVS) failed: %s\n", strerror(errno));
        return -1;
    }

    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0) != 0)
    {
        fprintf(stderr, "refuse_io_uring: installing the seccomp filter failed: %s (is seccomp enabled in this kernel?)\n", strerror(errno));
        return -1;
    }

    return 0;
}

/* The filter is proved on the launcher itself: a ring it sets up would be one the service could set up too. */
static int check_filter(void)
{
    long fd = syscall(NR_IO_URING_SETUP, 1, NULL);
    if (fd >= 0)
    {
        close((int)fd);
        fprintf(stderr, "refuse_io_uring: the filter is installed but io_uring_setup still succeeds\n");
        return -1;
    }

    if (errno != EPERM)
    {
        fprintf(stderr, "refuse_io_uring: the filter is installed but io_uring_setup fails with %s, not EPERM\n", strerror(errno));
        return -1;
    }

    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '\0')
    {
        fprintf(stderr, "usage: refuse_io_uring COMMAND [ARGUMENT...]\n"
                        "Runs COMMAND with io_uring_setup, io_uring_enter and io_uring_register refused (EPERM) by a seccomp filter.\n");
        return OWN_FAILURE;
    }

    if (install_filter() != 0 || check_filter() != 0)
    {
        return OWN_FAILURE;
    }

    execvp(argv[1], &argv[1]);
    int error = errno;
    fprintf(stderr, "refuse_io_uring: cannot run '%s': %s\n", argv[1], strerror(error));
    return error == ENOENT ? NOT_FOUND : CANNOT_EXECUTE;
}
