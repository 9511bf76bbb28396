/**
 * The quiz's wire contract (kernel ↔ attnlab-widgets QuizView): its data types live with
 * every other view's in the one contract both sides import (widgets/src/contract/quiz.ts).
 * Traits of QuizModel: data = QuizData, options = {}.
 */
export type { QuestionKind, QuestionView, QuizDetail, QuizFeedback, QuizProgress, QuizData, AnswerMessage } from "../../widgets/src/contract";
