package identity

// OutcomeLabelForTest exposes outcomeLabel to the external tests.
var OutcomeLabelForTest = outcomeLabel
