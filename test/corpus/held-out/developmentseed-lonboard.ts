// Source: https://github.com/developmentseed/lonboard/blob/011fd349300f71b59d6f2e8f7ebdb310d29e1006/src/state/machine.ts
// Commit: 011fd349300f71b59d6f2e8f7ebdb310d29e1006
// License: MIT (developmentseed/lonboard, LICENSE at repository root: "MIT License, Copyright (c) 2023 Development Seed")
// Changes: PickingInfo (@deck.gl/core/typed) reduced to a local interface with the fields deck.gl documents
//   (coordinate, pixel, index, picked, x, y); unused DeckGLRef import dropped. Machine verbatim.
import { assertEvent, assign, createMachine } from "xstate";
// --- stubs for app imports ---
interface PickingInfo {
  picked: boolean;
  index: number;
  x: number;
  y: number;
  pixel?: [number, number];
  coordinate?: number[];
  object?: unknown;
}
// --- end stubs ---

export const machine = createMachine(
  {
    id: "lonboard",

    types: {
      context: {} as {
        bboxSelectStart: number[] | undefined;
        bboxSelectStartPixel: number[] | undefined;
        bboxSelectEnd: number[] | undefined;
        bboxSelectEndPixel: number[] | undefined;
      },
      events: {} as
        | {
            type: "Deck.gl was loaded";
          }
        | {
            type: "BBox select button clicked";
          }
        | {
            type: "Map click event";
            data: PickingInfo;
          }
        | {
            type: "Map hover event";
            data: PickingInfo;
          },
      actions: {} as
        | {
            type: "setBboxSelectStart";
          }
        | {
            type: "setBboxSelectEnd";
          }
        | {
            type: "clearBboxSelect";
          },
    },

    context: {
      bboxSelectStart: undefined,
      bboxSelectEndPixel: undefined,
      bboxSelectEnd: undefined,
      bboxSelectStartPixel: undefined,
    },

    states: {
      "Widget is loading": {
        on: {
          "Deck.gl was loaded": {
            target: "Pan mode",
          },
        },
      },

      "Pan mode": {
        on: {
          "BBox select button clicked": {
            target: "Selecting bbox start position",
            actions: "clearBboxSelect",
          },
        },
      },

      "Selecting bbox start position": {
        on: {
          "Map click event": {
            target: "Selecting bbox end position",
            actions: "setBboxSelectStart",
          },
        },
      },

      "Selecting bbox end position": {
        on: {
          "Map hover event": {
            target: "Selecting bbox end position",
            actions: "setBboxSelectEnd",
          },
          "Map click event": {
            target: "Pan mode",
            actions: "setBboxSelectEnd",
          },
        },
      },
    },

    initial: "Widget is loading",
  },
  {
    actions: {
      clearBboxSelect: assign(() => {
        return {
          bboxSelectStart: undefined,
          bboxSelectEnd: undefined,
        };
      }),
      setBboxSelectStart: assign(({ event }) => {
        // assertEvent(event, "Map click event");
        console.log(event.data);
        return {
          bboxSelectStart: event.data.coordinate,
        };
      }),
      setBboxSelectEnd: assign(({ event }) => {
        // assertEvent(event, "Map click event");
        return {
          bboxSelectEnd: event.data.coordinate,
        };
      }),
    },

    actors: {},
  },
);
