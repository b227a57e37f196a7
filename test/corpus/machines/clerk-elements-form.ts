// Source: https://github.com/clerk/javascript/blob/0350d1bd65844466a962ebfa37f3c916305a1ef6/packages/elements/src/internals/machines/form/form.machine.ts
// Commit: 0350d1bd65844466a962ebfa37f3c916305a1ef6
// License: MIT (clerk/javascript, packages/elements/package.json "license")
// Changes: stubbed isClerkAPIResponseError (@clerk/shared/error: checks for an `errors` array) and snakeToCamel
//   (@clerk/shared/underscore); ClerkElementsError / ClerkElementsFieldError (~/internals/errors) copied as small
//   classes; inlined FieldDetails / FormDefaultValues / FormFields (./form.types) with FieldStates' literal union;
//   ErrorMessagesKey is approximated as a string-literal union. Machine verbatim.
import type { MachineContext } from 'xstate';
import { assign, enqueueActions, setup } from 'xstate';
// --- stubs for app imports ---
type ClerkAPIError = { code: string; message: string; longMessage?: string; meta?: { paramName?: string } };
const isClerkAPIResponseError = (err: any): err is { errors: ClerkAPIError[] } =>
  !!err && typeof err === 'object' && Array.isArray(err.errors);
const snakeToCamel = (str: string | undefined): string =>
  str ? str.replace(/([-_][a-z])/g, match => match.toUpperCase().replace(/-|_/, '')) : '';
class ClerkElementsError extends Error {
  static fromAPIError(error: ClerkAPIError) {
    return new ClerkElementsError(error.code, error.longMessage || error.message);
  }
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ClerkElementsError';
  }
}
class ClerkElementsFieldError extends Error {
  static fromAPIError(error: ClerkAPIError) {
    return new ClerkElementsFieldError(error.code, error.longMessage || error.message);
  }
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ClerkElementsFieldError';
  }
}
type FieldStates = 'idle' | 'info' | 'error' | 'warning' | 'success';
type ErrorMessagesKey = 'max_length' | 'min_length' | 'require_numbers' | 'require_lowercase' | 'require_uppercase' | 'require_special_char';
type FormDefaultValues = Map<string, FieldDetails['value']>;
type FieldDetails = {
  name?: string;
  value?: string | readonly string[] | number;
  feedback?: {
    type: Exclude<FieldStates, 'idle'>;
    message: string | ClerkElementsFieldError;
    passwordValidationKeys?: Array<ErrorMessagesKey>;
  };
};
type FormFields = Map<string, FieldDetails>;
// --- end stubs ---

export interface FormMachineContext extends MachineContext {
  defaultValues: FormDefaultValues;
  errors: ClerkElementsError[];
  fields: FormFields;
  hidden?: Set<string>;
  missing?: Set<string>;
  optional?: Set<string>;
  progressive: boolean;
  required?: Set<string>;
}

export type FormMachineEvents =
  | { type: 'FIELD.ADD'; field: Pick<FieldDetails, 'name' | 'value'> }
  | { type: 'FIELD.REMOVE'; field: Pick<FieldDetails, 'name'> }
  | {
      type: 'MARK_AS_PROGRESSIVE';
      defaultValues: FormDefaultValues;
      missing: string[];
      optional: string[];
      required: string[];
    }
  | { type: 'UNMARK_AS_PROGRESSIVE' }
  | {
      type: 'FIELD.UPDATE';
      field: Pick<FieldDetails, 'name' | 'value'>;
    }
  | { type: 'ERRORS.SET'; error: any }
  | { type: 'ERRORS.CLEAR' }
  | {
      type: 'FIELD.FEEDBACK.SET';
      field: Pick<FieldDetails, 'name' | 'feedback'>;
    }
  | {
      type: 'FIELD.FEEDBACK.CLEAR';
      field: Pick<FieldDetails, 'name'>;
    }
  | { type: 'FIELD.FEEDBACK.CLEAR.ALL' };

type FormMachineTypes = {
  events: FormMachineEvents;
  context: FormMachineContext;
};

/**
 * A machine for managing form state.
 * This machine is used alongside our other, flow-specific machines and a reference to a spawned FormMachine actor is used in the flows to interact with the form state.
 */
export const FormMachine = setup({
  actions: {
    setGlobalErrors: assign({
      errors: (_, params: { errors: ClerkElementsError[] }) => [...params.errors],
    }),
    setFieldFeedback: assign({
      fields: ({ context }, params: Pick<FieldDetails, 'name' | 'feedback'>) => {
        if (!params.name) throw new Error('Field name is required');

        if (context.fields.has(params.name)) {
          // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
          context.fields.get(params.name)!.feedback = params.feedback;
        }

        return context.fields;
      },
    }),
  },
  types: {} as FormMachineTypes,
}).createMachine({
  id: 'Form',
  context: () => ({
    defaultValues: new Map(),
    errors: [],
    fields: new Map(),
    progressive: false,
  }),
  on: {
    'ERRORS.SET': {
      actions: enqueueActions(({ enqueue, event }) => {
        if (isClerkAPIResponseError(event.error)) {
          const fields: Record<string, ClerkElementsFieldError[]> = {};
          const globalErrors: ClerkElementsError[] = [];

          for (const error of event.error.errors || [event.error]) {
            const name = snakeToCamel(error.meta?.paramName);

            if (!name) {
              globalErrors.push(ClerkElementsError.fromAPIError(error));
              continue;
            } else if (!fields[name]) {
              fields[name] = [];
            }

            fields[name]?.push(ClerkElementsFieldError.fromAPIError(error));
          }

          enqueue({
            type: 'setGlobalErrors',
            params: {
              errors: globalErrors,
            },
          });

          for (const field in fields) {
            enqueue({
              type: 'setFieldFeedback',
              params: {
                name: field,
                feedback: {
                  type: 'error',
                  message: fields[field][0],
                },
              },
            });
          }
        }
      }),
    },
    'ERRORS.CLEAR': {
      actions: assign({
        errors: () => [],
      }),
    },
    'FIELD.ADD': {
      actions: assign({
        fields: ({ context, event }) => {
          if (!event.field.name) throw new Error('Field name is required');

          event.field.value = event.field.value || context.defaultValues.get(event.field.name) || undefined;

          context.fields.set(event.field.name, event.field);
          return context.fields;
        },
      }),
    },
    'FIELD.UPDATE': {
      actions: assign({
        fields: ({ context, event }) => {
          if (!event.field.name) throw new Error('Field name is required');

          if (context.fields.has(event.field.name)) {
            // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
            context.fields.get(event.field.name)!.value = event.field.value;
          }

          return context.fields;
        },
      }),
    },
    'FIELD.REMOVE': {
      actions: assign({
        fields: ({ context, event }) => {
          if (!event.field.name) throw new Error('Field name is required');

          context.fields.delete(event.field.name);
          return context.fields;
        },
      }),
    },
    'FIELD.FEEDBACK.SET': {
      actions: [
        {
          type: 'setFieldFeedback',
          params: ({ event }) => event.field,
        },
      ],
    },
    'FIELD.FEEDBACK.CLEAR': {
      actions: assign({
        fields: ({ context, event }) => {
          if (!event.field.name) throw new Error('Field name is required');
          if (context.fields.has(event.field.name)) {
            // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
            context.fields.get(event.field.name)!.feedback = undefined;
          }

          return context.fields;
        },
      }),
    },
    'FIELD.FEEDBACK.CLEAR.ALL': {
      actions: assign({
        fields: ({ context }) => {
          context.fields.forEach(field => {
            field.feedback = undefined;
          });

          return context.fields;
        },
      }),
    },
    MARK_AS_PROGRESSIVE: {
      actions: assign(({ event }) => {
        const missing = new Set(event.missing);

        return {
          defaultValues: event.defaultValues,
          hidden: new Set([...event.required.filter(f => !missing.has(f)), ...event.optional]),
          missing,
          optional: new Set(event.optional),
          progressive: true,
          required: new Set(event.required),
        };
      }),
    },
    UNMARK_AS_PROGRESSIVE: {
      actions: assign({
        defaultValues: new Map(),
        hidden: undefined,
        missing: undefined,
        optional: undefined,
        progressive: false,
        required: undefined,
      }),
    },
  },
});
