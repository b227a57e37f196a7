// Source: https://github.com/KittyCAD/modeling-app/blob/558d229ecdd7e7c9e791a87023eeea08be67acfd/src/machines/kclEditorMachine.ts
// Commit: 558d229ecdd7e7c9e791a87023eeea08be67acfd
// License: MIT (KittyCAD/modeling-app)
// Changes: stubbed the EditorSelection type (@codemirror/state); dropped the @xstate-layout comment. Machine verbatim
//   (a stateless root machine: only root-level `on` handlers), as are the module-level actor and selectors.
import { StateFrom, assign, createActor, setup } from 'xstate'

// --- stubs for third-party imports ---
type EditorSelection = { ranges: { from: number; to: number }[]; mainIndex: number }
// --- end stubs ---

type SelectionEvent = {
  codeMirrorSelection: EditorSelection
  scrollIntoView: boolean
}
type KclEditorMachineEvent =
  | { type: 'setKclEditorMounted'; data: boolean }
  | { type: 'setLastSelectionEvent'; data?: SelectionEvent }

interface KclEditorMachineContext {
  isKclEditorMounted: boolean
  lastSelectionEvent?: SelectionEvent
}

/**
 * This is a one-off XState machine not tied to React, so that we can publish
 * state to it from singletons and other parts of the app.
 */
export const kclEditorMachine = setup({
  types: {
    events: {} as KclEditorMachineEvent,
    context: {} as KclEditorMachineContext,
  },
  actions: {
    setKclEditorMounted: assign({
      isKclEditorMounted: ({ context, event }) =>
        event.type === 'setKclEditorMounted'
          ? event.data
          : context.isKclEditorMounted,
    }),
    setLastSelectionEvent: assign({
      lastSelectionEvent: ({ context, event }) =>
        event.type === 'setLastSelectionEvent'
          ? event.data
          : context.lastSelectionEvent,
    }),
  },
}).createMachine({
  id: 'kclEditorMachine',
  context: {
    isKclEditorMounted: false,
    lastSelectionEvent: undefined,
  },
  on: {
    setKclEditorMounted: {
      actions: 'setKclEditorMounted',
    },
    setLastSelectionEvent: {
      actions: 'setLastSelectionEvent',
    },
  },
})

export const kclEditorActor = createActor(kclEditorMachine).start()

/** Watch for changes to `lastSelectionEvent` */
export const selectionEventSelector = (
  snapshot?: StateFrom<typeof kclEditorMachine>
) => snapshot?.context?.lastSelectionEvent

/** Watch for the editorView to be mounted */
export const editorIsMountedSelector = (
  snapshot?: StateFrom<typeof kclEditorMachine>
) => snapshot?.context?.isKclEditorMounted
