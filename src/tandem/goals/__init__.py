"""Goals and quotas: team goals (marketing, sales, shared) beside individual rep quotas."""
