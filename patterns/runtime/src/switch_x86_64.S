/*
 * switch_x86_64.S - the M:N scheduler's context switches (sched.c), x86-64
 * System V. A context is a stack pointer; its stack holds, from the top of
 * what a switch pushes: the return address, rbp, rbx, r12 to r15, and 8
 * bytes of MXCSR (SSE) and x87 control words, which the ABI makes
 * callee-saved too. Every other register is caller-saved, so a switch
 * costs a dozen instructions and no system call.
 *
 * The control words are a task's own (its rounding mode, say), but the
 * scheduler's context, which does no floating-point arithmetic, needs none
 * of its own: it runs with those of the task it switched out of. So a
 * switch out of a task saves them and one into a task loads them, and
 * neither does both: reading MXCSR (stmxcsr) costs about 4 ns here, more
 * than the rest of the switch.
 */
#if defined(__x86_64__) && defined(__linux__)
	.text

/* Push the callee-saved registers and room for the control words. */
.macro PUSH_CONTEXT
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
.endm

/* Pop what PUSH_CONTEXT pushed, and return into the context. */
.macro POP_CONTEXT
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
.endm

/*
 * void goc__ctx_leave(void **save_sp, void *to_sp): save this task's
 * context and control words in *save_sp, and resume the scheduler's to_sp.
 */
	.globl goc__ctx_leave
	.hidden goc__ctx_leave
	.type goc__ctx_leave, @function
	.p2align 4
goc__ctx_leave:
	.cfi_startproc
	PUSH_CONTEXT
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	POP_CONTEXT
	.cfi_endproc
	.size goc__ctx_leave, .-goc__ctx_leave

/*
 * void goc__ctx_enter(void **save_sp, void *to_sp): save the scheduler's
 * context in *save_sp, and resume task to_sp with its control words.
 */
	.globl goc__ctx_enter
	.hidden goc__ctx_enter
	.type goc__ctx_enter, @function
	.p2align 4
goc__ctx_enter:
	.cfi_startproc
	PUSH_CONTEXT
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	POP_CONTEXT
	.cfi_endproc
	.size goc__ctx_enter, .-goc__ctx_enter

/*
 * The first return of a new context lands here (sched.c lays out its
 * stack): r12 holds the argument and r13 the function, which never
 * returns. rsp is 16-byte aligned, as a call requires.
 */
	.globl goc__ctx_start
	.hidden goc__ctx_start
	.type goc__ctx_start, @function
	.p2align 4
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined rip
	movq %r12, %rdi
	callq *%r13
	ud2
	.cfi_endproc
	.size goc__ctx_start, .-goc__ctx_start
#endif

	.section .note.GNU-stack,"",@progbits
