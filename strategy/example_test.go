package strategy_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cowork-ai/resilience/strategy"
)

// A step that clicks a button three ways, best first: by finding it in a
// screenshot, through the platform's UI automation API, and at fixed
// screen coordinates.
func Example() {
	vision := strategy.Func("vision", func(context.Context) error {
		return errors.New("send button not found in the screenshot")
	})
	uiAutomation := strategy.Func("ui-automation", func(context.Context) error {
		return errors.New("accessibility permission not granted")
	})
	coordinates := strategy.Func("coordinates", func(context.Context) error {
		// A real strategy would click at the button's last known position.
		return nil
	})

	plan, err := strategy.New(strategy.Config{}, strategy.Step{
		Name:       "click send",
		Target:     "mail window",
		Strategies: []strategy.Strategy{vision, uiAutomation, coordinates},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := plan.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	step := res.Steps[0]
	for _, a := range step.Attempts {
		fmt.Printf("%s: %s %v\n", a.Strategy, a.Outcome, a.Err)
	}
	fmt.Println("step", step.Status, "by", step.Winner)
	// Output:
	// vision: failed send button not found in the screenshot
	// ui-automation: failed accessibility permission not granted
	// coordinates: succeeded <nil>
	// step succeeded by coordinates
}

// A plan whose last step fails: the steps that acted are undone in
// reverse order, and the error keeps the original failure.
func ExamplePlan_Run_rollback() {
	act := func(name string) strategy.Strategy {
		return strategy.Func(name, func(context.Context) error { return nil })
	}
	undo := func(what string, err error) func(context.Context) error {
		return func(context.Context) error {
			fmt.Println("undo:", what)
			return err
		}
	}

	plan, err := strategy.New(strategy.Config{},
		strategy.Step{Name: "create draft", Strategies: []strategy.Strategy{act("menu")},
			Undo: undo("delete draft", nil)},
		strategy.Step{Name: "attach report", Strategies: []strategy.Strategy{act("drag")},
			Undo: undo("remove attachment", errors.New("attachment list not found"))},
		strategy.Step{Name: "send", Strategies: []strategy.Strategy{
			strategy.Func("shortcut", func(context.Context) error {
				return errors.New("mail server rejected the message")
			})}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	res, err := plan.Run(context.Background())
	for _, u := range res.Undos {
		fmt.Printf("%s: %s\n", u.Step, u.Outcome)
	}
	var pe *strategy.PlanError
	if errors.As(err, &pe) {
		fmt.Println(pe.Code())
	}
	fmt.Println(err)
	// Output:
	// undo: remove attachment
	// undo: delete draft
	// attach report: failed
	// create draft: succeeded
	// ERR-PlanAborted
	// strategy: plan aborted at step "send": strategy: step "send" failed after 1 attempts: last attempt: mail server rejected the message (rollback: 1 of 2 undos failed)
}

// A step whose window closes while a strategy works: the plan pauses and
// the prompter, which would ask the user, decides to resume once the
// window is back.
func ExamplePrompterFunc() {
	windowOpen := true
	calls := 0
	typeText := strategy.Func("ui-automation", func(context.Context) error {
		calls++
		if calls == 1 {
			windowOpen = false
			return strategy.EnvironmentChanged("the editor window closed")
		}
		return nil
	})
	prompter := strategy.PrompterFunc(func(_ context.Context, p strategy.PauseInfo) (strategy.Decision, error) {
		fmt.Printf("paused at %q: %v\n", p.Step, p.Err)
		windowOpen = true // the user reopened the window
		return strategy.DecisionResume, nil
	})

	plan, err := strategy.New(strategy.Config{Prompter: prompter}, strategy.Step{
		Name:       "type greeting",
		Strategies: []strategy.Strategy{typeText},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := plan.Run(context.Background())
	fmt.Println("window open:", windowOpen, "error:", err)
	for _, a := range res.Steps[0].Attempts {
		fmt.Println(a.Strategy, a.Outcome)
	}
	// Output:
	// paused at "type greeting": strategy: environment changed: the editor window closed
	// window open: true error: <nil>
	// ui-automation interrupted
	// ui-automation succeeded
}
