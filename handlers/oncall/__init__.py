"""On-call rotas: who is on now and next, overrides, and the staffing the other use cases
see at the moment they act (`duty.staffed`)."""
