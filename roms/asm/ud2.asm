; No libc: print one line, then execute ud2 (SIGILL).
bits 64
default rel
section .rodata
msg: db "about to execute ud2", 10
len  equ $ - msg
section .text
global _start
_start:
    mov eax, 1
    mov edi, 1
    lea rsi, [msg]
    mov edx, len
    syscall
    ud2
