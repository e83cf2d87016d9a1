package aws

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

// latency: FIS aws:ecs:task-network-latency on the chosen tasks — delay
// and jitter from the fault's classic params, sources if given.

func latencyAction(f providers.Fault) (fisAction, error) {
	if f.Params.Delay <= 0 {
		return fisAction{}, errors.New("latency needs a delay")
	}
	params := map[string]string{"delayMilliseconds": strconv.FormatInt(f.Params.Delay.Milliseconds(), 10)}
	if f.Params.Jitter > 0 {
		params["jitterMilliseconds"] = strconv.FormatInt(f.Params.Jitter.Milliseconds(), 10)
	}
	networkParams(f, params)
	return fisAction{id: "aws:ecs:task-network-latency", params: params}, nil
}

// networkParams adds the params the ECS network actions share.
func networkParams(f providers.Fault, params map[string]string) {
	x := f.Params.Extra
	if s := x.Strings(ParamSources); len(s) > 0 {
		params["sources"] = strings.Join(s, ",")
	}
	if x.Has(ParamFaultEndpoint) {
		params["useEcsFaultInjectionEndpoints"] = strconv.FormatBool(x.Bool(ParamFaultEndpoint))
	}
	commonParams(f, params)
}

// commonParams adds installDependencies when the fault sets it.
func commonParams(f providers.Fault, params map[string]string) {
	if f.Params.Extra.Has(ParamInstallDeps) {
		params["installDependencies"] = strconv.FormatBool(f.Params.Extra.Bool(ParamInstallDeps))
	}
}
