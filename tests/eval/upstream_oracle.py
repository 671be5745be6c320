"""TEST ORACLE: a faithful transcription of the upstream MMAD scorer. Not used by the package.

Source: jam-cc/MMAD, evaluation/examples/helper/summary.py, function `caculate_accuracy_mmad`
(unchanged in logic since 2024-10-08). Transcribed line for line, quirks included:
`list.remove` while iterating the same list (so the record after each dropped one is skipped),
`type` (the builtin) tested instead of `question_type`, cells of empty groups set to 0. Left out: the
file reading, the "Remove error" print, plotting and CSV writing; the records are passed in
(copied first, because upstream mutates the list) and the table is returned. Added, marked ADDED:
one call to `published_columns`, which adds Recall, Precision and F1 the way the authors' published
`all_result/*.csv` files carry them (they were produced by an unreleased variant; the formulas
are recovered from those files: Recall = anomaly accuracy, Precision = TP/(TP+FP), F1 = 2PR/(P+R)).
"""

import copy

import pandas as pd


def caculate_accuracy_mmad(all_answers_json, normal_flag='good', show_overkill_miss=False):
    all_answers_json = copy.deepcopy(all_answers_json)
    dataset_names = []
    type_list = []
    for answer in all_answers_json:
        dataset_name = answer['image'].split('/')[0]
        question_type = answer['question_type']
        if question_type in ["Object Structure", "Object Details"]:
            question_type = "Object Analysis"
        if dataset_name not in dataset_names:
            dataset_names.append(dataset_name)
        if type not in type_list:
            type_list.append(question_type)

    question_stats = {dataset_name: {} for dataset_name in dataset_names}
    detection_stats = {dataset_name: {} for dataset_name in dataset_names}
    for dataset_name in dataset_names:
        detection_stats[dataset_name]['normal'] = {'total': 0, 'correct': 0, 'correct_answers': {}, 'answers': {}}
        detection_stats[dataset_name]['abnormal'] = {'total': 0, 'correct': 0, 'correct_answers': {}, 'answers': {}}
        for question_type in type_list:
            question_stats[dataset_name][question_type] = {'total': 0, 'correct': 0, 'correct_answers': {}, 'answers': {}}

    for answer in all_answers_json:
        dataset_name = answer['image'].split('/')[0]
        question_type = answer['question_type']
        if question_type in ["Object Structure", "Object Details"]:
            question_type = "Object Analysis"
        gpt_answer = answer['gpt_answer']
        correct_answer = answer['correct_answer']
        if correct_answer not in ['A', 'B', 'C', 'D', 'E'] or gpt_answer not in ['A', 'B', 'C', 'D', 'E']:
            all_answers_json.remove(answer)
            continue

        question_stats[dataset_name][question_type]['total'] += 1
        if answer['correct_answer'] == answer['gpt_answer']:
            question_stats[dataset_name][question_type]['correct'] += 1

        if question_type == "Anomaly Detection":
            if normal_flag in answer['image']:
                detection_stats[dataset_name]['normal']['total'] += 1
                if answer['correct_answer'] == answer['gpt_answer']:
                    detection_stats[dataset_name]['normal']['correct'] += 1
            else:
                detection_stats[dataset_name]['abnormal']['total'] += 1
                if answer['correct_answer'] == answer['gpt_answer']:
                    detection_stats[dataset_name]['abnormal']['correct'] += 1

        answers_dict = question_stats[dataset_name][question_type]['answers']
        if gpt_answer not in answers_dict:
            answers_dict[gpt_answer] = 0
        answers_dict[gpt_answer] += 1
        correct_answers_dict = question_stats[dataset_name][question_type]['correct_answers']
        if correct_answer not in correct_answers_dict:
            correct_answers_dict[correct_answer] = 0
        correct_answers_dict[correct_answer] += 1

    accuracy_df = pd.DataFrame(index=dataset_names)
    for dataset_name in dataset_names:
        for question_type in type_list:
            total = question_stats[dataset_name][question_type]['total']
            correct = question_stats[dataset_name][question_type]['correct']
            cls_accuracy = correct / total if total != 0 else 0
            accuracy_df.at[dataset_name, question_type] = cls_accuracy*100

            if question_type in ['Anomaly Detection']:
                normal_acc = detection_stats[dataset_name]['normal']['correct'] / detection_stats[dataset_name]['normal']['total'] if detection_stats[dataset_name]['normal']['total'] != 0 else 0
                anomaly_acc = detection_stats[dataset_name]['abnormal']['correct'] / detection_stats[dataset_name]['abnormal']['total'] if detection_stats[dataset_name]['abnormal']['total'] != 0 else 0
                accuracy_df.at[dataset_name, 'Anomaly Detection'] = (normal_acc+anomaly_acc)/2*100

    accuracy_df['Average'] = accuracy_df.mean(axis=1)

    published_columns(accuracy_df, detection_stats)  # ADDED: the published CSVs' Recall/Precision/F1

    if show_overkill_miss:
        for dataset_name in dataset_names:
            normal_acc = detection_stats[dataset_name]['normal']['correct'] / detection_stats[dataset_name]['normal'][
                'total'] if detection_stats[dataset_name]['normal']['total'] != 0 else 0
            anomaly_acc = detection_stats[dataset_name]['abnormal']['correct'] / detection_stats[dataset_name]['abnormal'][
                'total'] if detection_stats[dataset_name]['abnormal']['total'] != 0 else 0
            accuracy_df.at[dataset_name, 'Overkill'] = (1 - normal_acc) * 100
            accuracy_df.at[dataset_name, 'Miss'] = (1 - anomaly_acc) * 100

    accuracy_df.loc['Average'] = accuracy_df.mean()
    return accuracy_df


def published_columns(accuracy_df, detection_stats):
    """Recall, Precision, F1 per dataset, as in the authors' published CSVs (not in summary.py)."""
    for dataset_name, stats in detection_stats.items():
        tp = stats['abnormal']['correct']
        fp = stats['normal']['total'] - stats['normal']['correct']
        fn = stats['abnormal']['total'] - stats['abnormal']['correct']
        precision = tp / (tp + fp) * 100 if (tp + fp) != 0 else 0
        recall = tp / (tp + fn) * 100 if (tp + fn) != 0 else 0
        accuracy_df.at[dataset_name, 'Recall'] = recall
        accuracy_df.at[dataset_name, 'Precision'] = precision
        accuracy_df.at[dataset_name, 'F1'] = 2 * precision * recall / (precision + recall) if precision + recall else 0
