"""Events (工单): intake, workflow, queries, categories, Open311, KPIs."""
