export { validateMessage, describeProblems, FixProblem, ValidateOptions, ValidationResult } from './validate'
export { formatDecimal, formatUtcTimestamp, formatUtcDate } from './format'
export { writeBody } from './serialize'
export { recordValidated, provenBody, ProvenBody, validatedBody, writtenBody } from './proof'
