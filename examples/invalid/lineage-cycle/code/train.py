"""The smallest experiment: a majority-class baseline on a fixed sample of Iris labels."""

labels = ["setosa"] * 50 + ["versicolor"] * 50 + ["virginica"] * 50
test = labels[::7]  # 22 flowers: 8 setosa, 7 versicolor, 7 virginica
majority = min(set(labels), key=lambda label: (-labels.count(label), label))
print("accuracy", round(sum(label == majority for label in test) / len(test), 4))
