package exporters

// fixedTime is the creation and modification time written into every workbook, so that the same
// rows give the same bytes.
const fixedTime = "2000-01-01T00:00:00Z"
