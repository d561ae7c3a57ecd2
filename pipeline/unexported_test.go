package pipeline

// EntityYenOf gives the tests of package pipeline_test an allocation's yen per entity (the
// unexported AllocateResult.entityYen a what-if compares).
func EntityYenOf(a *AllocateResult) map[string]int64 { return a.entityYen }
