// An AArch64 Linux program. emu runs x86-64 programs only, so it must refuse this file
// with a clear message.
    .global _start
    .text
_start:
    mov x0, #1
    adr x1, msg
    mov x2, #len
    mov x8, #64       // write
    svc #0
    mov x0, #0
    mov x8, #94       // exit_group
    svc #0
    .section .rodata
msg: .ascii "hello from aarch64\n"
    .set len, . - msg
