package config

// Web configures the browser pages on the HTTP listener (the `session_*`
// keys of the server section).
type Web struct {
	SessionIdle Duration `yaml:"session_idle" flag:"session-idle" meta:"DURATION" help:"sign a web session out after DURATION without a page view"`
	SessionMax  Duration `yaml:"session_max" flag:"session-max" meta:"DURATION" help:"sign any web session out DURATION after its sign-in"`
}
