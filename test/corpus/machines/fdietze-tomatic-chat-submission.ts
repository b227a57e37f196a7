// Source: https://github.com/fdietze/tomatic/blob/1acb92021f26718d4c94d0268245cf8b42cdcd39/src/machines/chatSubmissionMachine.ts
// Commit: 1acb92021f26718d4c94d0268245cf8b42cdcd39
// License: MIT (fdietze/tomatic, LICENSE at repository root)
// Changes: inlined Message (@/types/chat), Snippet/SystemPrompt (@/types/storage) and StreamChatResponseOutput;
//   stubbed streamChatResponse (@/services/chatService: resolves the submitted messages plus a reply) and uuid.
//   Machine verbatim (including the `RETRY` event that is not in the typed union, as in the original).
import { setup, assign, SnapshotFrom, fromPromise } from 'xstate';
// --- stubs for app imports ---
interface MessageCost {
    prompt: number;
    completion: number;
    prompt_tokens?: number;
    completion_tokens?: number;
}
interface Message {
    id: string;
    prompt_name: string | null;
    role: 'user' | 'assistant' | 'system';
    content: string;
    raw_content?: string;
    model_name: string | null;
    cost: MessageCost | null;
}
interface SystemPrompt {
    name: string;
    prompt: string;
}
interface Snippet {
    id: string;
    name: string;
    content: string;
    isGenerated: boolean;
    prompt?: string;
    model?: string;
    createdAt_ms: number;
    updatedAt_ms: number;
    generationError: string | null;
    isDirty: boolean;
}
type StreamChatResponseOutput = {
    finalMessages: Message[];
    assistantResponse: string;
};
const streamChatResponse = async (args: {
    messages: Message[];
    modelName: string;
    apiKey: string;
    snippets: Snippet[];
    systemPrompts: SystemPrompt[];
    selectedPromptName: string | null;
    prompt: string;
    isRegeneration?: boolean;
}): Promise<StreamChatResponseOutput> => ({
    finalMessages: args.messages,
    assistantResponse: 'response',
});
const uuidv4 = (): string => Math.random().toString(36).slice(2);
// --- end stubs ---

// Define the machine's context, events, and input
export interface ChatSubmissionContext {
    error: string | null;
    finalResponseData?: StreamChatResponseOutput;
    config: ChatSubmissionInput & {
        onSuccess: (result: { messages: Message[], autoScrollEnabled: boolean }) => void;
        onError: (error: string) => void;
    };
}

export type ChatSubmissionEvent =
  | { type: 'SUBMIT'; prompt: string }
  | { type: 'REGENERATE' }
  | { type: 'CANCEL' }
  | { type: 'xstate.done.actor.fetchAndProcess', output: StreamChatResponseOutput };

export interface ChatSubmissionInput {
    messages: Message[];
    modelName: string;
    apiKey: string;
    snippets: Snippet[];
    systemPrompts: SystemPrompt[];
    selectedPromptName: string | null;
    autoScrollEnabled: boolean;
    onSuccess: (result: { messages: Message[], autoScrollEnabled: boolean }) => void;
    onError: (error: string) => void;
}

export const chatSubmissionMachine = setup({
    types: {
        context: {} as ChatSubmissionContext,
        events: {} as ChatSubmissionEvent,
        input: {} as ChatSubmissionInput,
    },
    actions: {
        sendSuccess: ({ context }: { context: ChatSubmissionContext }) => {
            if (!context.finalResponseData) return;
            const { finalMessages, assistantResponse } = context.finalResponseData;
            const { modelName, autoScrollEnabled } = context.config;
            const finalMessagesWithIds = finalMessages.map(m => ({ ...m, id: uuidv4() }));
            const assistantMessage: Message = {
                id: uuidv4(),
                role: 'assistant',
                content: assistantResponse,
                model_name: modelName,
                cost: null, // Cost is not available in this context
                prompt_name: context.config.selectedPromptName,
            };
            context.config.onSuccess({
                messages: [...finalMessagesWithIds, assistantMessage],
                autoScrollEnabled,
            });
        },
        sendError: ({ context }: { context: ChatSubmissionContext }) => {
            if (!context.error) return;
            context.config.onError(context.error);
        }
    }
}).createMachine({
  id: 'chatSubmission',
  initial: 'idle',
  context: ({ input }) => ({
    error: null,
    finalResponseData: undefined,
    config: input,
  }),
  states: {
    idle: {
      entry: (): void => { console.log('[DEBUG] chatSubmissionMachine: entering idle') },
      on: {
        SUBMIT: 'composingMessage',
        REGENERATE: 'composingMessage',
      },
    },
    composingMessage: {
      invoke: {
        id: 'fetchAndProcess',
        src: fromPromise(async ({ input }) => {
            const { context, event } = input as { context: ChatSubmissionContext, event: { type: 'SUBMIT', prompt: string } | { type: 'REGENERATE' } };
            const isRegeneration = event.type === 'REGENERATE';
            const prompt = event.type === 'SUBMIT' ? event.prompt : '';
            return await streamChatResponse({ ...context.config, prompt, isRegeneration });
        }),
        input: ({ context, event }: { context: ChatSubmissionContext, event: ChatSubmissionEvent }) => ({ context, event }),
        onDone: {
          target: 'finalizing',
          actions: assign({
            finalResponseData: ({ event }: { event: { output: StreamChatResponseOutput }}) => event.output,
          }),
        },
        onError: {
          target: 'failure',
          actions: [
            assign({
                error: ({ event }) => (event.error as Error).message,
            }),
            'sendError'
          ],
        },
      }
    },
    streamingResponse: {
      on: {
        CANCEL: 'idle',
      },
    },
    finalizing: {
        entry: [
            (): void => { console.log('[DEBUG] chatSubmissionMachine: entering finalizing') },
            'sendSuccess'
        ],
        always: 'idle'
    },
    failure: {
      entry: (): void => { console.log('[DEBUG] chatSubmissionMachine: entering failure') },
      on: {
        RETRY: 'composingMessage',
        SUBMIT: 'composingMessage',
      },
    },
  },
});

export type ChatSubmissionSnapshot = SnapshotFrom<typeof chatSubmissionMachine>;
