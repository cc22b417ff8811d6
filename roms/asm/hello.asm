; No libc: raw write and exit_group syscalls. Prints a greeting, whether the initial stack
; pointer is 16-byte aligned (the ABI requires it at _start), and argv one per line.
bits 64
default rel

section .rodata
msg:     db "Hello from assembly!", 10
msg_len  equ $ - msg
aligned: db "rsp at entry is 16-byte aligned", 10
al_len   equ $ - aligned
misal:   db "rsp at entry is NOT 16-byte aligned", 10
mis_len  equ $ - misal
nl:      db 10

section .text
global _start
_start:
    mov r12, rsp                ; r12 -> argc
    mov eax, 1                  ; write(1, msg, len)
    mov edi, 1
    lea rsi, [msg]
    mov edx, msg_len
    syscall

    lea rsi, [aligned]
    mov edx, al_len
    test r12, 15
    jz .say
    lea rsi, [misal]
    mov edx, mis_len
.say:
    mov eax, 1
    mov edi, 1
    syscall

    mov r13, [r12]              ; argc
    lea r14, [r12 + 8]          ; argv
.next_arg:
    test r13, r13
    jz .done
    mov rsi, [r14]
    xor edx, edx                ; strlen
.len:
    cmp byte [rsi + rdx], 0
    je .print
    inc rdx
    jmp .len
.print:
    mov eax, 1
    mov edi, 1
    syscall
    mov eax, 1
    mov edi, 1
    lea rsi, [nl]
    mov edx, 1
    syscall
    add r14, 8
    dec r13
    jmp .next_arg
.done:
    mov eax, 231                ; exit_group(0)
    xor edi, edi
    syscall
