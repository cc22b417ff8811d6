; A 32-bit i386 program (int 0x80). emu runs x86-64 programs only, so it must refuse this
; file with a clear message; natively it runs where the kernel has IA-32 emulation.
bits 32
section .rodata
msg: db "hello from i386", 10
len  equ $ - msg
section .text
global _start
_start:
    mov eax, 4
    mov ebx, 1
    mov ecx, msg
    mov edx, len
    int 0x80
    mov eax, 1
    xor ebx, ebx
    int 0x80
