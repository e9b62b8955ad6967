/*
 * switch_aarch64.S - the M:N scheduler's context switches (sched.c),
 * AArch64 (AAPCS64). A context is a stack pointer; its stack holds the 176
 * bytes a switch stores, from the stack pointer up: x19 to x28, the frame
 * pointer x29, the return address x30, d8 to d15 (the callee-saved halves
 * of v8 to v15), and the FPCR (rounding mode and the like, which a task
 * keeps as its own, as MXCSR on x86-64), then 8 bytes of padding. Every
 * other register is caller-saved. As on x86-64, the scheduler's context
 * needs no FPCR of its own: a switch out of a task saves the task's and
 * one into a task loads it, and neither does both.
 *
 * Branch protection: no function here needs a BTI landing pad, since the
 * switches are only called directly and goc__ctx_start is only reached by
 * a ret, which BTI does not check; and pointer authentication (pac-ret)
 * signs only what a C function keeps in its own frame, not the plain
 * return address that a switch saves from x30. This file carries no GNU
 * property note, so a program linked with it runs without BTI even if the
 * rest of it was built for BTI (-z force-bti warns).
 */
#if defined(__aarch64__) && defined(__linux__)
	.text

/* Store the callee-saved registers in a new 176-byte frame. */
.macro SAVE_CONTEXT
	sub sp, sp, #176
	stp x19, x20, [sp, #0]
	stp x21, x22, [sp, #16]
	stp x23, x24, [sp, #32]
	stp x25, x26, [sp, #48]
	stp x27, x28, [sp, #64]
	stp x29, x30, [sp, #80]
	stp d8, d9, [sp, #96]
	stp d10, d11, [sp, #112]
	stp d12, d13, [sp, #128]
	stp d14, d15, [sp, #144]
.endm

/* Load what SAVE_CONTEXT stored, drop the frame, and return into the context. */
.macro RESTORE_CONTEXT
	ldp x19, x20, [sp, #0]
	ldp x21, x22, [sp, #16]
	ldp x23, x24, [sp, #32]
	ldp x25, x26, [sp, #48]
	ldp x27, x28, [sp, #64]
	ldp x29, x30, [sp, #80]
	ldp d8, d9, [sp, #96]
	ldp d10, d11, [sp, #112]
	ldp d12, d13, [sp, #128]
	ldp d14, d15, [sp, #144]
	add sp, sp, #176
	ret
.endm

/*
 * void goc__ctx_leave(void **save_sp, void *to_sp): save this task's
 * context and FPCR in *save_sp, and resume the scheduler's to_sp.
 */
	.globl goc__ctx_leave
	.hidden goc__ctx_leave
	.type goc__ctx_leave, %function
	.p2align 4
goc__ctx_leave:
	.cfi_startproc
	SAVE_CONTEXT
	mrs x9, fpcr
	str x9, [sp, #160]
	mov x10, sp
	str x10, [x0]
	mov sp, x1
	RESTORE_CONTEXT
	.cfi_endproc
	.size goc__ctx_leave, .-goc__ctx_leave

/*
 * void goc__ctx_enter(void **save_sp, void *to_sp): save the scheduler's
 * context in *save_sp, and resume task to_sp with its FPCR.
 */
	.globl goc__ctx_enter
	.hidden goc__ctx_enter
	.type goc__ctx_enter, %function
	.p2align 4
goc__ctx_enter:
	.cfi_startproc
	SAVE_CONTEXT
	mov x10, sp
	str x10, [x0]
	mov sp, x1
	ldr x9, [sp, #160]
	msr fpcr, x9
	RESTORE_CONTEXT
	.cfi_endproc
	.size goc__ctx_enter, .-goc__ctx_enter

/*
 * The first return of a new context lands here (sched.c lays out its
 * stack): x19 holds the argument and x20 the function, which never
 * returns. sp is 16-byte aligned, as the ABI requires at all times.
 */
	.globl goc__ctx_start
	.hidden goc__ctx_start
	.type goc__ctx_start, %function
	.p2align 4
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined x30
	mov x0, x19
	blr x20
	brk #0
	.cfi_endproc
	.size goc__ctx_start, .-goc__ctx_start
#endif
	.section .note.GNU-stack,"",%progbits
